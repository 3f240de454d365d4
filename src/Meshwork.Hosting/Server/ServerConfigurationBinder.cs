using Meshwork.Discovery;
using Meshwork.Governance.Configuration;
using Meshwork.Hosting.Governance;
using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Server;

/// <summary>
/// Binds the <c>Meshwork:Server</c> section (under <c>AddMeshwork</c>, the document's <c>Server</c> section) onto <see cref="RpcServerOptions"/>, key by property name (see
/// <see cref="OptionsBinder"/>). Runs before the callback passed to <c>AddMeshworkServer</c>, so code overrides
/// configuration. Without an <see cref="IConfiguration"/> in the container (a bare ServiceCollection) it does nothing.
/// Bad values fail with an <see cref="OptionsValidationException"/> that lists every bad key.
/// </summary>
internal sealed class ServerConfigurationBinder(IServiceProvider services) : IConfigureOptions<RpcServerOptions>
{
    private readonly IConfiguration? _configuration = services.GetService<IConfiguration>();
    private readonly MeshworkSettings? _governed = services.GetService<MeshworkSettings>();

    public void Configure(RpcServerOptions options)
    {
        var section = _governed is null ? _configuration?.GetSection(MeshworkConfigurationKeys.Server) : _governed.Section.GetSection("Server");
        if (section is null) return;
        var errors = new List<string>();
        // Under AddMeshwork the section also holds the governance keys (announcement, limits, drain), read by the document.
        OptionsBinder.Bind(typeof(RpcServerOptions), options, section, errors, _governed is null ? null : ServerSettings.GovernanceKeys);
        if (_governed is not null)
        {
            try
            {
                // The governance keys are checked here too, so that one start reports them with the RPC keys (and a
                // renamed key, such as Address, is named before the missing Endpoints it causes).
                ServerSettings.Read(section, new ApplicationOptions());
            }
            catch (DiscoveryConfigurationException e)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0) throw new OptionsValidationException(Options.DefaultName, typeof(RpcServerOptions), errors);
    }
}
