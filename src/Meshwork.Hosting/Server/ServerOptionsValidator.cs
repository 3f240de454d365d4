using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Server;

/// <summary>
/// Runs <see cref="RpcServerOptions.Validate"/> when the options are built (at host start, through ValidateOnStart)
/// and reports its message with the configuration key to fix, as an <see cref="OptionsValidationException"/>.
/// </summary>
internal sealed class ServerOptionsValidator : IValidateOptions<RpcServerOptions>
{
    public ValidateOptionsResult Validate(string? name, RpcServerOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentException ex)
        {
            return ValidateOptionsResult.Fail(ConfigurationErrors.NameKey(ex.Message, nameof(RpcServerOptions), MeshworkConfigurationKeys.Server));
        }
    }
}
