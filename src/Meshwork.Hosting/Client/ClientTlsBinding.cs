using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Client;

/// <summary>
/// <c>Meshwork:Clients:{name}:Tls</c>: the client certificate and the trusted server CAs are named by file, and
/// <c>Enabled</c> switches TLS; every other key binds onto <see cref="TlsClientOptions"/> by property name
/// (<c>TargetHost</c>, and whatever is added to the class later). Setting any key turns TLS on.
/// </summary>
internal static class ClientTlsBinding
{
    public const string CertificatePath = "CertificatePath";
    public const string ServerCaPath = "ServerCaPath";
    private const string Enabled = "Enabled";
    private const string CertificatePassword = "CertificatePassword";
    private const string KeyPath = "KeyPath";
    /// <summary>The keys of this section that are no property of the options class.</summary>
    public static readonly string[] FileKeys = [Enabled, CertificatePath, CertificatePassword, KeyPath, ServerCaPath];

    public static void Bind(object target, IConfigurationSection section, List<string> errors)
    {
        var options = (RpcClientOptions)target;
        bool? enabled = string.IsNullOrWhiteSpace(section[Enabled])
            ? null
            : (bool)ConfigValues.Parse(typeof(bool), section[Enabled]!, section.Path + ":" + Enabled);
        if (enabled == false)
        {
            options.Tls = null;
            return;
        }
        bool anythingElse = section.GetChildren().Any(c => !string.Equals(c.Key, Enabled, StringComparison.OrdinalIgnoreCase) && OptionsBinder.HasValue(c));
        if (enabled != true && !anythingElse) return; // an empty TLS section: plaintext
        var tls = options.Tls ?? new TlsClientOptions();
        OptionsBinder.Bind(typeof(TlsClientOptions), tls, section, errors, FileKeys); // first, so its errors are reported even if a file fails
        if (NonBlank(section[CertificatePath]) is { } certificatePath)
        {
            tls.ClientCertificate = CertificateFiles.LoadWithKey(certificatePath, section[CertificatePassword], NonBlank(section[KeyPath]), section.Path + ":" + CertificatePath);
        }
        else if (NonBlank(section[KeyPath]) is not null)
        {
            throw new FormatException($"{section.Path}:{KeyPath}: set {section.Path}:{CertificatePath} too; a key alone is no client certificate");
        }
        if (NonBlank(section[ServerCaPath]) is { } caPath)
        {
            tls.ServerCertificateValidation = CertificateFiles.TrustOnly(CertificateFiles.LoadTrustedRoots(caPath, section.Path + ":" + ServerCaPath));
        }
        options.Tls = tls;
    }

    private static string? NonBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
