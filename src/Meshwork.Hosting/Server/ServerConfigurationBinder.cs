using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Server;

/// <summary>
/// Copies the <c>Meshwork:Server</c> section onto <see cref="RpcServerOptions"/>. Runs before the callback passed to
/// <c>AddMeshworkServer</c>, so code overrides configuration. Without an <see cref="IConfiguration"/> in the container
/// (a bare ServiceCollection) it does nothing.
/// </summary>
internal sealed class ServerConfigurationBinder : IConfigureOptions<RpcServerOptions>
{
    private const string Section = MeshworkConfigurationKeys.Server;
    private readonly IConfiguration? _configuration;

    public ServerConfigurationBinder(IServiceProvider services) => _configuration = services.GetService<IConfiguration>();

    public void Configure(RpcServerOptions options)
    {
        if (_configuration is null) return;
        try
        {
            var settings = _configuration.GetSection(Section).Get<ServerSettings>();
            if (settings is not null) Apply(settings, options);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            // The binder's own messages already name the key ("... at 'Meshwork:Server:MaxFrameSize' to type 'System.Int32'").
            throw ConfigurationErrors.Invalid<RpcServerOptions>(null, ex.Message);
        }
    }

    private static void Apply(ServerSettings s, RpcServerOptions o)
    {
        if (s.Endpoints is { Count: > 0 } endpoints) o.Endpoints = endpoints.Where(e => !string.IsNullOrWhiteSpace(e)).Select(e => e.Trim()).ToList();
        if (s.MaxFrameSize is { } maxFrame) o.MaxFrameSize = maxFrame;
        if (s.MaxMessageSize is { } maxMessage) o.MaxMessageSize = maxMessage;
        if (s.MaxConnections is { } maxConnections) o.MaxConnections = maxConnections;
        if (s.MaxConcurrentStreamsPerConnection is { } maxStreams) o.MaxConcurrentStreamsPerConnection = maxStreams;
        if (s.MaxConcurrentCalls is { } maxCalls) o.MaxConcurrentCalls = maxCalls;
        if (s.MaxQueuedWriteBytes is { } maxQueued) o.MaxQueuedWriteBytes = maxQueued;
        if (s.MaxBufferedBytes is { } maxBuffered) o.MaxBufferedBytes = maxBuffered;
        if (ConfigValues.Duration(s.WriteStallTimeout, Section + ":WriteStallTimeout") is { } stall) o.WriteStallTimeout = stall;
        if (s.TrimMemoryAfterBurst is { } trim) o.TrimMemoryAfterBurst = trim;
        if (ConfigValues.Duration(s.DrainTimeout, Section + ":DrainTimeout") is { } drain) o.DrainTimeout = drain;
        if (ConfigValues.Duration(s.IdleTimeout, Section + ":IdleTimeout") is { } idle) o.IdleTimeout = idle;
        if (ConfigValues.Duration(s.ProtocolErrorLogInterval, Section + ":ProtocolErrorLogInterval") is { } logInterval) o.ProtocolErrorLogInterval = logInterval;
        if (s.StreamWindow is { } window) o.StreamWindow = window;
        if (s.DetailedErrors is { } detailed) o.DetailedErrors = detailed;
        if (s.InlineHandlers is { } inline) o.InlineHandlers = inline;
        s.Compression?.ApplyTo(o.Compression, Section);
        if (s.Tls is { } tls) ApplyTls(tls, o);
    }

    private static void ApplyTls(ServerTlsSettings s, RpcServerOptions o)
    {
        const string key = Section + ":Tls";
        if (s.Enabled == false)
        {
            o.Tls = null;
            return;
        }
        if (string.IsNullOrWhiteSpace(s.CertificatePath))
        {
            if (s.Enabled == true || s.ClientCertificateRequired == true || !string.IsNullOrWhiteSpace(s.ClientCaPath))
            {
                throw new FormatException($"{key}:CertificatePath is required when TLS is enabled (a PKCS#12 .pfx/.p12 file, or a PEM file with its key)");
            }
            return; // an empty TLS section: plaintext
        }
        var tls = o.Tls ?? new TlsServerOptions();
        tls.Certificate = CertificateFiles.LoadWithKey(s.CertificatePath, s.CertificatePassword, s.KeyPath, key + ":CertificatePath");
        if (!tls.Certificate.HasPrivateKey)
        {
            throw new FormatException($"{key}:CertificatePath: certificate '{s.CertificatePath}' has no private key (add it to the file or set {key}:KeyPath)");
        }
        if (s.ClientCertificateRequired is { } required) tls.ClientCertificateRequired = required;
        if (!string.IsNullOrWhiteSpace(s.ClientCaPath))
        {
            tls.ClientCertificateValidation = CertificateFiles.TrustOnly(CertificateFiles.LoadTrustedRoots(s.ClientCaPath, key + ":ClientCaPath"));
        }
        if (ConfigValues.Duration(s.HandshakeTimeout, key + ":HandshakeTimeout") is { } handshake) tls.HandshakeTimeout = handshake;
        o.Tls = tls;
    }
}
