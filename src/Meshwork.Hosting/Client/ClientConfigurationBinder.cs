using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Client;

/// <summary>
/// Copies <c>Meshwork:Clients:{name}</c> onto the named <see cref="MeshworkClientOptions"/>. Registered before any
/// per-client callback, so code overrides configuration. Without an <see cref="IConfiguration"/> it does nothing.
/// </summary>
internal sealed class ClientConfigurationBinder : IConfigureNamedOptions<MeshworkClientOptions>
{
    private readonly IConfiguration? _configuration;

    public ClientConfigurationBinder(IServiceProvider services) => _configuration = services.GetService<IConfiguration>();

    public void Configure(MeshworkClientOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, MeshworkClientOptions options)
    {
        if (_configuration is null || string.IsNullOrEmpty(name)) return;
        string section = MeshworkConfigurationKeys.Client(name);
        try
        {
            var settings = _configuration.GetSection(section).Get<ClientSettings>();
            if (settings is not null) Apply(settings, options, section);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException)
        {
            throw ConfigurationErrors.Invalid<MeshworkClientOptions>(name, ex.Message);
        }
    }

    private static void Apply(ClientSettings s, MeshworkClientOptions options, string section)
    {
        var o = options.Rpc;
        if (!string.IsNullOrWhiteSpace(s.Address)) options.Address = s.Address.Trim();
        if (s.ConnectionsPerEndpoint is { } connections) o.ConnectionsPerEndpoint = connections;
        if (s.MaxConcurrentStreamsPerConnection is { } streams) o.MaxConcurrentStreamsPerConnection = streams;
        if (s.MaxFrameSize is { } maxFrame) o.MaxFrameSize = maxFrame;
        if (s.MaxMessageSize is { } maxMessage) o.MaxMessageSize = maxMessage;
        if (s.MaxQueuedWriteBytes is { } maxQueued) o.MaxQueuedWriteBytes = maxQueued;
        if (Duration(s.DefaultTimeout, section, nameof(s.DefaultTimeout)) is { } timeout) o.DefaultTimeout = timeout;
        if (Duration(s.ConnectTimeout, section, nameof(s.ConnectTimeout)) is { } connect) o.ConnectTimeout = connect;
        if (Duration(s.ReconnectBackoffInitial, section, nameof(s.ReconnectBackoffInitial)) is { } backoff) o.ReconnectBackoffInitial = backoff;
        if (Duration(s.ReconnectBackoffMax, section, nameof(s.ReconnectBackoffMax)) is { } backoffMax) o.ReconnectBackoffMax = backoffMax;
        if (Duration(s.KeepAliveInterval, section, nameof(s.KeepAliveInterval)) is { } keepAlive) o.KeepAliveInterval = keepAlive;
        if (Duration(s.KeepAliveTimeout, section, nameof(s.KeepAliveTimeout)) is { } keepAliveTimeout) o.KeepAliveTimeout = keepAliveTimeout;
        if (Duration(s.IdleTimeout, section, nameof(s.IdleTimeout)) is { } idle) o.IdleTimeout = idle;
        if (Duration(s.WriteStallTimeout, section, nameof(s.WriteStallTimeout)) is { } stall) o.WriteStallTimeout = stall;
        if (s.StreamWindow is { } window) o.StreamWindow = window;
        s.Compression?.ApplyTo(o.Compression, section);
        if (s.Tls is { } tls) ApplyTls(tls, o, section + ":Tls");
    }

    private static TimeSpan? Duration(string? value, string section, string name) => ConfigValues.Duration(value, section + ":" + name);

    private static void ApplyTls(ClientTlsSettings s, RpcClientOptions o, string key)
    {
        if (s.Enabled == false)
        {
            o.Tls = null;
            return;
        }
        bool anything = s.Enabled == true || !string.IsNullOrWhiteSpace(s.TargetHost) || !string.IsNullOrWhiteSpace(s.CertificatePath) ||
            !string.IsNullOrWhiteSpace(s.ServerCaPath);
        if (!anything) return; // an empty TLS section: plaintext
        var tls = o.Tls ?? new TlsClientOptions();
        if (!string.IsNullOrWhiteSpace(s.TargetHost)) tls.TargetHost = s.TargetHost.Trim();
        if (!string.IsNullOrWhiteSpace(s.CertificatePath))
        {
            tls.ClientCertificate = CertificateFiles.LoadWithKey(s.CertificatePath, s.CertificatePassword, s.KeyPath, key + ":CertificatePath");
        }
        if (!string.IsNullOrWhiteSpace(s.ServerCaPath))
        {
            tls.ServerCertificateValidation = CertificateFiles.TrustOnly(CertificateFiles.LoadTrustedRoots(s.ServerCaPath, key + ":ServerCaPath"));
        }
        o.Tls = tls;
    }
}
