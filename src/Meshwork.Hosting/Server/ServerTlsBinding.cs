using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Server;

/// <summary>
/// <c>Meshwork:Server:Tls</c>: the certificate and the client CAs are named by file, and <c>Enabled</c> switches TLS;
/// every other key binds onto <see cref="TlsServerOptions"/> by property name (<c>ClientCertificateRequired</c>,
/// <c>HandshakeTimeout</c>, and whatever is added to the class later).
/// </summary>
internal static class ServerTlsBinding
{
    public const string CertificatePath = "CertificatePath";
    public const string ClientCaPath = "ClientCaPath";
    private const string Enabled = "Enabled";
    private const string CertificatePassword = "CertificatePassword";
    private const string KeyPath = "KeyPath";
    /// <summary>The keys of this section that are no property of the options class.</summary>
    public static readonly string[] FileKeys = [Enabled, CertificatePath, CertificatePassword, KeyPath, ClientCaPath];

    public static void Bind(object target, IConfigurationSection section, List<string> errors)
    {
        var options = (RpcServerOptions)target;
        bool? enabled = string.IsNullOrWhiteSpace(section[Enabled])
            ? null
            : (bool)ConfigValues.Parse(typeof(bool), section[Enabled]!, section.Path + ":" + Enabled);
        if (enabled == false)
        {
            options.Tls = null; // the section stays in the file, the server serves plaintext
            return;
        }
        string? certificatePath = NonBlank(section[CertificatePath]);
        if (certificatePath is null)
        {
            bool anythingElse = section.GetChildren().Any(c => !string.Equals(c.Key, Enabled, StringComparison.OrdinalIgnoreCase) && OptionsBinder.HasValue(c));
            if (enabled == true || anythingElse)
            {
                throw new FormatException($"{section.Path}:{CertificatePath}: required when TLS is enabled (a PKCS#12 .pfx/.p12 file, or a PEM file with its key)");
            }
            return; // an empty TLS section: plaintext
        }
        var tls = options.Tls ?? new TlsServerOptions();
        OptionsBinder.Bind(typeof(TlsServerOptions), tls, section, errors, FileKeys); // first, so its errors are reported even if a file fails
        tls.Certificate = CertificateFiles.LoadWithKey(certificatePath, section[CertificatePassword], NonBlank(section[KeyPath]), section.Path + ":" + CertificatePath);
        if (!tls.Certificate.HasPrivateKey)
        {
            throw new FormatException($"{section.Path}:{CertificatePath}: certificate '{certificatePath}' has no private key (add it to the file or set {section.Path}:{KeyPath})");
        }
        if (NonBlank(section[ClientCaPath]) is { } caPath)
        {
            tls.ClientCertificateValidation = CertificateFiles.TrustOnly(CertificateFiles.LoadTrustedRoots(caPath, section.Path + ":" + ClientCaPath));
        }
        options.Tls = tls;
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
