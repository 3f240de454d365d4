using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Client;

/// <summary>Checks a hosted client's address and validates its <see cref="RpcClientOptions"/>; messages name the configuration key.</summary>
internal sealed class ClientOptionsValidator : IValidateOptions<MeshworkClientOptions>
{
    public ValidateOptionsResult Validate(string? name, MeshworkClientOptions options)
    {
        if (string.IsNullOrEmpty(name)) return ValidateOptionsResult.Skip;
        string section = MeshworkConfigurationKeys.Client(name);
        if (string.IsNullOrWhiteSpace(options.Address))
        {
            return ValidateOptionsResult.Fail($"{section}:Address: required; set it in configuration or pass it to AddMeshworkClient (for example 10.0.0.5:7000)");
        }
        try
        {
            RpcEndpoint.Parse(options.Address);
        }
        catch (FormatException ex)
        {
            return ValidateOptionsResult.Fail($"{section}:Address: {ex.Message}");
        }
        var errors = OptionsChecker.Check(typeof(RpcClientOptions), options.Rpc, section, options.Rpc.Validate);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
