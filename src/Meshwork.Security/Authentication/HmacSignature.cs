using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Meshwork.Security.Authentication;

/// <summary>
/// The HMAC call signature shared by the client (<see cref="Client.HmacCallCredentials"/>) and the server
/// (<see cref="HmacAuthenticator"/>). The header is
/// <c>authorization: MW-HMAC-SHA256 key=&lt;id&gt;,ts=&lt;unix ms&gt;,nonce=&lt;nonce&gt;,sig=&lt;base64url&gt;</c>, and the
/// signature is HMAC-SHA256 with the key's secret over the UTF-8 canonical string
/// <c>MW-HMAC-SHA256\n&lt;id&gt;\n&lt;ts&gt;\n&lt;nonce&gt;\n&lt;len&gt;:&lt;service&gt;\n&lt;len&gt;:&lt;method&gt;</c>; the length prefixes
/// keep two different (service, method) pairs from ever producing the same string.
/// </summary>
internal static class HmacSignature
{
    public const string Scheme = "MW-HMAC-SHA256";
    public const int MacBytes = 32;
    public const int MaxKeyIdLength = 64;
    public const int MinNonceLength = 16;
    public const int MaxNonceLength = 64;
    /// <summary>Longest credentials string parsed; a valid one is under 200 characters.</summary>
    public const int MaxCredentialsLength = 512;

    public static bool IsValidKeyId(string? id) => id is { Length: > 0 and <= MaxKeyIdLength } && id.All(c => IsWordChar(c) || c == '.');

    public static bool IsValidNonce(ReadOnlySpan<char> nonce)
    {
        if (nonce.Length is < MinNonceLength or > MaxNonceLength) return false;
        foreach (char c in nonce) if (!IsWordChar(c)) return false;
        return true;
    }

    private static bool IsWordChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';

    /// <summary>A fresh nonce: 16 random bytes in base64url (22 characters).</summary>
    public static string NewNonce()
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        return Base64Url.EncodeToString(random);
    }

    /// <summary>Writes the signature of a call into <paramref name="mac"/> (32 bytes).</summary>
    public static void Compute(ReadOnlySpan<byte> secret, string keyId, long timestampMs, ReadOnlySpan<char> nonce, string service, string method, Span<byte> mac)
    {
        int max = Scheme.Length + keyId.Length + 20 + nonce.Length + Encoding.UTF8.GetMaxByteCount(service.Length + method.Length) + 40;
        byte[]? rented = max > 512 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented is null ? stackalloc byte[512] : rented;
        try
        {
            int n = 0;
            n += Encoding.ASCII.GetBytes(Scheme, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += Encoding.ASCII.GetBytes(keyId, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += Format(timestampMs, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += Encoding.ASCII.GetBytes(nonce, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += WriteLengthPrefixed(service, buffer[n..]);
            buffer[n++] = (byte)'\n';
            n += WriteLengthPrefixed(method, buffer[n..]);
            HMACSHA256.HashData(secret, buffer[..n], mac);
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int WriteLengthPrefixed(string value, Span<byte> destination)
    {
        int n = Format(value.Length, destination);
        destination[n++] = (byte)':';
        return n + Encoding.UTF8.GetBytes(value, destination[n..]);
    }

    private static int Format(long value, Span<byte> destination)
    {
        Utf8Formatter.TryFormat(value, destination, out int written);
        return written;
    }

    /// <summary>The header value for a signed call.</summary>
    public static string FormatHeader(string keyId, long timestampMs, string nonce, ReadOnlySpan<byte> mac) =>
        $"{Scheme} key={keyId},ts={timestampMs},nonce={nonce},sig={Base64Url.EncodeToString(mac)}";

    /// <summary>The fields of the credentials (the header value after the scheme), or an explanation of what is wrong with them.</summary>
    public static bool TryParse(string credentials, out Fields fields, out string? error)
    {
        fields = default;
        if (credentials.Length > MaxCredentialsLength)
        {
            error = $"the HMAC credentials are longer than {MaxCredentialsLength} characters";
            return false;
        }
        string? keyId = null, nonce = null, signature = null;
        long timestamp = 0;
        bool hasTimestamp = false;
        foreach (var range in credentials.AsSpan().Split(','))
        {
            var part = credentials.AsSpan(range).Trim();
            int eq = part.IndexOf('=');
            if (eq <= 0)
            {
                error = "the HMAC credentials must be key=<id>,ts=<unix ms>,nonce=<nonce>,sig=<signature>";
                return false;
            }
            var name = part[..eq];
            var value = part[(eq + 1)..];
            bool duplicate;
            if (name.SequenceEqual("key"))
            {
                duplicate = keyId is not null;
                keyId = value.ToString();
            }
            else if (name.SequenceEqual("ts"))
            {
                duplicate = hasTimestamp;
                hasTimestamp = true;
                if (!long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out timestamp))
                {
                    error = "the HMAC timestamp (ts) must be a number of milliseconds since 1970-01-01 UTC";
                    return false;
                }
            }
            else if (name.SequenceEqual("nonce"))
            {
                duplicate = nonce is not null;
                nonce = value.ToString();
            }
            else if (name.SequenceEqual("sig"))
            {
                duplicate = signature is not null;
                signature = value.ToString();
            }
            else
            {
                error = "the HMAC credentials have an unknown field (expected key, ts, nonce and sig)";
                return false;
            }
            if (duplicate)
            {
                error = $"the HMAC credentials repeat the field '{name}'";
                return false;
            }
        }
        if (keyId is null || !hasTimestamp || nonce is null || signature is null)
        {
            error = "the HMAC credentials must have the fields key, ts, nonce and sig";
            return false;
        }
        if (!IsValidKeyId(keyId))
        {
            error = "the HMAC key id must be 1-64 characters of letters, digits, '-', '_' and '.'";
            return false;
        }
        if (!IsValidNonce(nonce))
        {
            error = $"the HMAC nonce must be {MinNonceLength}-{MaxNonceLength} characters of letters, digits, '-' and '_'";
            return false;
        }
        if (Base64Url.GetMaxDecodedLength(signature.Length) < MacBytes || signature.Length > 64)
        {
            error = "the HMAC signature must be 32 bytes in base64url";
            return false;
        }
        fields = new Fields(keyId, timestamp, nonce, signature);
        error = null;
        return true;
    }

    /// <summary>Decodes a base64url signature; false unless it is exactly <see cref="MacBytes"/> bytes.</summary>
    public static bool TryDecodeSignature(string signature, Span<byte> mac)
    {
        Span<byte> decoded = stackalloc byte[48];
        if (!Base64Url.TryDecodeFromChars(signature, decoded, out int written) || written != MacBytes) return false;
        decoded[..MacBytes].CopyTo(mac);
        return true;
    }

    public readonly record struct Fields(string KeyId, long TimestampMs, string Nonce, string Signature);
}
