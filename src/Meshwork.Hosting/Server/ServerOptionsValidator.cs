using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Server;

/// <summary>
/// Validates <see cref="RpcServerOptions"/> when they are built (at host start, through ValidateOnStart), after
/// configuration and code have set them, and names the <c>Meshwork:Server</c> key of every bad value.
/// </summary>
internal sealed class ServerOptionsValidator : IValidateOptions<RpcServerOptions>
{
    public ValidateOptionsResult Validate(string? name, RpcServerOptions options)
    {
        var errors = OptionsChecker.Check(typeof(RpcServerOptions), options, MeshworkConfigurationKeys.Server, options.Validate);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
