using Meshwork.Hosting.Client;
using Meshwork.Hosting.Server;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Server;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Internal;

/// <summary>Binds one property from its configuration section when the file form is not the property's own value.</summary>
internal delegate void CustomBinder(object target, IConfigurationSection section, List<string> errors);

/// <summary>
/// The few properties that configuration does not set as written: objects built from files (certificates, trusted
/// CAs) and values written by name (the compression algorithm). Everything else binds by property name.
/// </summary>
internal static class BindingRules
{
    private static readonly Dictionary<(Type, string), CustomBinder> Binders = new()
    {
        [(typeof(RpcServerOptions), nameof(RpcServerOptions.Tls))] = ServerTlsBinding.Bind,
        [(typeof(RpcClientOptions), nameof(RpcClientOptions.Tls))] = ClientTlsBinding.Bind,
        [(typeof(CompressionOptions), nameof(CompressionOptions.DefaultAlgorithm))] = BindAlgorithm,
    };

    // Properties set from a key with another name. Validation failures of the property name the key to fix.
    private static readonly Dictionary<(Type, string), string> KeysOfProperties = new()
    {
        [(typeof(TlsServerOptions), nameof(TlsServerOptions.Certificate))] = ServerTlsBinding.CertificatePath,
        [(typeof(TlsServerOptions), nameof(TlsServerOptions.ClientCertificateValidation))] = ServerTlsBinding.ClientCaPath,
        [(typeof(TlsClientOptions), nameof(TlsClientOptions.ClientCertificate))] = ClientTlsBinding.CertificatePath,
        [(typeof(TlsClientOptions), nameof(TlsClientOptions.ServerCertificateValidation))] = ClientTlsBinding.ServerCaPath,
    };

    /// <summary>The binder of a property that does not bind as written, or null.</summary>
    public static CustomBinder? CustomBinder(Type type, string property) => Binders.GetValueOrDefault((type, property));

    /// <summary>The configuration key that sets a property: its own name unless a file form replaces it.</summary>
    public static string KeyOf(Type type, string property) => KeysOfProperties.GetValueOrDefault((type, property), property);

    /// <summary><c>Compression:DefaultAlgorithm</c> is written by name (<c>gzip</c>, <c>br</c>), stored as the wire id.</summary>
    private static void BindAlgorithm(object target, IConfigurationSection section, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(section.Value)) return;
        var options = (CompressionOptions)target;
        if (options.FindByName(section.Value.Trim()) is { } compressor)
        {
            options.DefaultAlgorithm = compressor.Id;
            return;
        }
        var known = new List<string>();
        for (int id = 1; id <= byte.MaxValue; id++)
        {
            if (options.Find((byte)id) is { } registered) known.Add(registered.Name);
        }
        errors.Add($"{section.Path}: unknown algorithm '{section.Value}' (known: {string.Join(", ", known)})");
    }
}
