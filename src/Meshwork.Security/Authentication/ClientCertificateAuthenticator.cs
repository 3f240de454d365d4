using System.Formats.Asn1;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Security.Authentication;

/// <summary>
/// Makes the identity of a mutual-TLS caller from its certificate (<see cref="Rpc.Server.ServerCallContext.ClientCertificate"/>):
/// <see cref="ClaimTypes.Name"/> is the subject's common name (else the first SAN URI, else the first SAN DNS name, else
/// the whole subject), plus <see cref="SecurityClaimTypes"/> claims for the subject, issuer, SHA-256 thumbprint, serial
/// number, every SAN DNS name and URI, and the roles of <see cref="ClientCertificateAuthenticationOptions.RolesByName"/>.
/// </summary>
public sealed class ClientCertificateAuthenticator
{
    /// <summary>The authentication type of identities made from certificates.</summary>
    public const string AuthenticationType = "mTLS";

    private static readonly ConditionalWeakTable<X509Certificate2, Claim[]> s_claims = new();
    private readonly Dictionary<string, string[]> _roles;

    /// <summary>Validates <paramref name="options"/> (throws <see cref="Rpc.InvalidOptionException"/>) and takes a copy of them.</summary>
    public ClientCertificateAuthenticator(ClientCertificateAuthenticationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _roles = options.RolesByName.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The identity of the holder of <paramref name="certificate"/>; a new identity per call, its claims computed once per certificate.</summary>
    public ClaimsIdentity Authenticate(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        // One connection carries many calls with the same certificate object: parse its extensions once.
        var claims = s_claims.GetValue(certificate, ClaimsOf);
        var identity = new ClaimsIdentity(claims, AuthenticationType, ClaimTypes.Name, ClaimTypes.Role);
        if (_roles.Count != 0 && identity.Name is { } name && _roles.TryGetValue(name, out var roles))
        {
            foreach (var role in roles) identity.AddClaim(new Claim(ClaimTypes.Role, role));
        }
        return identity;
    }

    private static Claim[] ClaimsOf(X509Certificate2 certificate)
    {
        var dns = new List<string>();
        var uris = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
            {
                try
                {
                    dns.AddRange(san.EnumerateDnsNames());
                    uris.AddRange(ReadUris(san.RawData));
                }
                catch (Exception ex) when (ex is CryptographicException or AsnContentException)
                {
                    // A malformed SAN extension contributes no names; the subject still identifies the caller.
                }
            }
        }
        string commonName = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        string subject = certificate.Subject;
        string name = commonName is { Length: > 0 } ? commonName : uris.FirstOrDefault() ?? dns.FirstOrDefault() ?? subject;
        var claims = new List<Claim>
        {
            new(ClaimTypes.Name, name),
            new(SecurityClaimTypes.CertificateSubject, subject),
            new(SecurityClaimTypes.CertificateIssuer, certificate.Issuer),
            new(SecurityClaimTypes.CertificateThumbprintSha256, certificate.GetCertHashString(HashAlgorithmName.SHA256)),
            new(SecurityClaimTypes.CertificateSerialNumber, certificate.SerialNumber),
        };
        foreach (var d in dns) claims.Add(new Claim(SecurityClaimTypes.DnsName, d));
        foreach (var u in uris) claims.Add(new Claim(SecurityClaimTypes.Uri, u));
        return claims.ToArray();
    }

    /// <summary>The uniformResourceIdentifier entries ([6] IA5String) of a GeneralNames sequence; .NET has no accessor for them.</summary>
    private static List<string> ReadUris(byte[] rawData)
    {
        var uris = new List<string>();
        var reader = new AsnReader(rawData, AsnEncodingRules.DER);
        var names = reader.ReadSequence();
        var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
        while (names.HasData)
        {
            var tag = names.PeekTag();
            if (tag.HasSameClassAndValue(uriTag)) uris.Add(names.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
            else names.ReadEncodedValue();
        }
        return uris;
    }
}
