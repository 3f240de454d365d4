using Meshwork.Hosting.Governance;
using Meshwork.Hosting.Internal;
using Microsoft.Extensions.DependencyInjection;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Server;

/// <summary>
/// Validates <see cref="RpcServerOptions"/> when they are built (at host start, through ValidateOnStart), after
/// configuration and code have set them, and names the <c>Meshwork:Server</c> key of every bad value.
/// </summary>
internal sealed class ServerOptionsValidator(IServiceProvider? services = null) : IValidateOptions<RpcServerOptions>
{
    private readonly string _section = services?.GetService<MeshworkSettings>()?.Section.GetSection("Server").Path ?? MeshworkConfigurationKeys.Server;

    public ValidateOptionsResult Validate(string? name, RpcServerOptions options)
    {
        var errors = OptionsChecker.Check(typeof(RpcServerOptions), options, _section, options.Validate);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
