using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Server;

/// <summary>
/// Binds the <c>Meshwork:Server</c> section onto <see cref="RpcServerOptions"/>, key by property name (see
/// <see cref="OptionsBinder"/>). Runs before the callback passed to <c>AddMeshworkServer</c>, so code overrides
/// configuration. Without an <see cref="IConfiguration"/> in the container (a bare ServiceCollection) it does nothing.
/// Bad values fail with an <see cref="OptionsValidationException"/> that lists every bad key.
/// </summary>
internal sealed class ServerConfigurationBinder(IServiceProvider services) : IConfigureOptions<RpcServerOptions>
{
    private readonly IConfiguration? _configuration = services.GetService<IConfiguration>();

    public void Configure(RpcServerOptions options)
    {
        if (_configuration is null) return;
        var errors = new List<string>();
        OptionsBinder.Bind(typeof(RpcServerOptions), options, _configuration.GetSection(MeshworkConfigurationKeys.Server), errors);
        if (errors.Count > 0) throw new OptionsValidationException(Options.DefaultName, typeof(RpcServerOptions), errors);
    }
}
