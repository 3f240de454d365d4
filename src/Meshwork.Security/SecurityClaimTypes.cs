using System.Security.Claims;

namespace Meshwork.Security;

/// <summary>Claim types the Meshwork authenticators put on the caller's identity, besides <see cref="ClaimTypes.Name"/> and <see cref="ClaimTypes.Role"/>.</summary>
public static class SecurityClaimTypes
{
    /// <summary>The id of the HMAC key that signed the call.</summary>
    public const string HmacKeyId = "urn:meshwork:hmac-key-id";

    /// <summary>The full distinguished name of the client certificate's subject (<c>CN=svc-a, O=Example</c>).</summary>
    public const string CertificateSubject = "urn:meshwork:x509-subject";

    /// <summary>The distinguished name of the client certificate's issuer.</summary>
    public const string CertificateIssuer = "urn:meshwork:x509-issuer";

    /// <summary>The SHA-256 hash of the client certificate, upper-case hex (64 characters).</summary>
    public const string CertificateThumbprintSha256 = "urn:meshwork:x509-sha256";

    /// <summary>The client certificate's serial number, upper-case hex.</summary>
    public const string CertificateSerialNumber = ClaimTypes.SerialNumber;

    /// <summary>A DNS name from the client certificate's subject alternative names (one claim per name).</summary>
    public const string DnsName = ClaimTypes.Dns;

    /// <summary>A URI from the client certificate's subject alternative names, such as a SPIFFE id (one claim per URI).</summary>
    public const string Uri = ClaimTypes.Uri;
}
