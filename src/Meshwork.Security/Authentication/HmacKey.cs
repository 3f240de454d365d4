using System.Security.Claims;

namespace Meshwork.Security.Authentication;

/// <summary>
/// A shared secret for HMAC-signed calls, named by its id (sent with every signed call) and standing for one caller.
/// Several keys may be live at once, which is how a key is rotated: add the new key, move callers to it, remove the old.
/// </summary>
public sealed class HmacKey
{
    /// <summary>The shortest secret accepted: 32 bytes, the output size of SHA-256 (a shorter key weakens HMAC-SHA256).</summary>
    public const int MinSecretBytes = 32;

    /// <summary>The key id: 1–64 characters of letters, digits, '-', '_' and '.'. Not secret; it is sent in clear.</summary>
    public string Id { get; set; } = "";

    /// <summary>The secret, at least <see cref="MinSecretBytes"/> random bytes. Configuration gives it in base64.</summary>
    public byte[] Secret { get; set; } = [];

    /// <summary>The caller's name (the <see cref="ClaimTypes.Name"/> claim). Default: the key id.</summary>
    public string? Name { get; set; }

    /// <summary>The caller's roles (<see cref="ClaimTypes.Role"/> claims). Default none.</summary>
    public IList<string> Roles { get; set; } = new List<string>();

    /// <summary>Throws <see cref="Rpc.InvalidOptionException"/> when the key is not usable; <paramref name="optionsType"/> and <paramref name="path"/> name it.</summary>
    internal void Validate(string optionsType, string path)
    {
        if (!HmacSignature.IsValidKeyId(Id)) throw new Rpc.InvalidOptionException(optionsType, path + ".Id", "must be 1-64 characters of letters, digits, '-', '_' and '.'");
        if (Secret is null || Secret.Length < MinSecretBytes) throw new Rpc.InvalidOptionException(optionsType, path + ".Secret", $"must be at least {MinSecretBytes} bytes (was {Secret?.Length ?? 0}); generate it with a cryptographic random generator");
        if (Name is not null && string.IsNullOrWhiteSpace(Name)) throw new Rpc.InvalidOptionException(optionsType, path + ".Name", "is blank (leave it unset to use the key id)");
        if (Roles.Any(string.IsNullOrWhiteSpace)) throw new Rpc.InvalidOptionException(optionsType, path + ".Roles", "contains an empty role");
    }
}
