using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Client;

/// <summary>
/// Binds <c>Meshwork:Clients:{name}</c> onto the named <see cref="MeshworkClientOptions"/>: <c>Address</c> onto
/// <see cref="MeshworkClientOptions.Address"/>, every other key onto <see cref="MeshworkClientOptions.Rpc"/> by property
/// name (see <see cref="OptionsBinder"/>). Registered before any per-client callback, so code overrides configuration.
/// Without an <see cref="IConfiguration"/> it does nothing.
/// </summary>
internal sealed class ClientConfigurationBinder(IServiceProvider services) : IConfigureNamedOptions<MeshworkClientOptions>
{
    private const string Address = nameof(MeshworkClientOptions.Address);
    private static readonly string[] OwnKeys = [Address];
    private readonly IConfiguration? _configuration = services.GetService<IConfiguration>();

    public void Configure(MeshworkClientOptions options) => Configure(Options.DefaultName, options);

    public void Configure(string? name, MeshworkClientOptions options)
    {
        if (_configuration is null || string.IsNullOrEmpty(name)) return;
        var section = _configuration.GetSection(MeshworkConfigurationKeys.Client(name));
        if (!string.IsNullOrWhiteSpace(section[Address])) options.Address = section[Address]!.Trim();
        var errors = new List<string>();
        OptionsBinder.Bind(typeof(RpcClientOptions), options.Rpc, section, errors, OwnKeys);
        if (errors.Count > 0) throw new OptionsValidationException(name, typeof(MeshworkClientOptions), errors);
    }
}
