using System.CommandLine;
using Meshwork.Cli.Registry;
using Meshwork.Discovery;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Cli.Calls;

/// <summary>
/// <c>meshwork call [address] Service/Method [json]</c>: one call with a JSON request, to a server at an address or to
/// a service found through a registry (with the governed client: balancer, fail-over, breaker). The JSON is sent as
/// MessagePack, the servers' default serializer, and replies come back as JSON; see <see cref="JsonMessagePack"/>.
/// </summary>
internal static class CallCommand
{
    public static Command Create()
    {
        var target = new Argument<string[]>("target")
        {
            Description = "[address] Service/Method [json]: address is host:port or unix:///path (omit it to use a registry); json is the request, '-' reads it from stdin, several values (NDJSON) feed a client stream",
            Arity = new ArgumentArity(1, 3),
        };
        var timeout = new Option<double>("--timeout") { Description = "Deadline of the call in seconds, all attempts included", DefaultValueFactory = _ => 10 };
        var header = new Option<string[]>("--header", "-H") { Description = "Request header key=value (repeatable)" };
        var kind = new Option<string>("--kind")
        {
            Description = "auto, unary, server-streaming, client-streaming, duplex or one-way; auto calls unary and follows the server when it names another kind",
            DefaultValueFactory = _ => "auto",
        };
        var idempotent = new Option<bool>("--idempotent") { Description = "The method is safe to repeat: a failed attempt fails over to another instance (registry calls)" };
        var wait = new Option<double>("--wait") { Description = "Registry calls: seconds to wait for a first instance of the service", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Machine-readable output: one compact JSON value per line, errors as {\"error\": {...}}" };
        var registry = new RegistryOptions();
        var command = new Command("call", "Call a method with a JSON request, at an address or through a registry") { target, timeout, header, kind, idempotent, wait, json };
        foreach (var option in registry.All) command.Options.Add(option);
        command.SetAction(async (result, ct) =>
        {
            var output = new CallOutput(result.GetValue(json));
            try
            {
                var request = CallRequest.Parse(result.GetValue(target)!, result.GetValue(header), result.GetValue(kind)!, result.GetValue(timeout), result.GetValue(idempotent));
                if (request.Address is { } address)
                {
                    if (registry.All.Any(o => result.GetResult(o) is { Implicit: false })) throw new UsageException("give either an address or registry flags, not both");
                    await using var channel = RpcChannel.ForAddress(address, RegistryClient.ClientOptions());
                    return await DynamicCall.RunAsync(channel, request, output, ct);
                }
                await using var client = await RegistryClient.ConnectAsync(registry.Build(result), ct);
                double waitSeconds = result.GetValue(wait);
                if (waitSeconds < 0 || double.IsNaN(waitSeconds)) throw new UsageException($"--wait must not be negative (was {waitSeconds})");
                if (!await client.WaitForInstancesAsync(request.Service, TimeSpan.FromSeconds(waitSeconds), ct))
                {
                    return output.Error(StatusCode.Unavailable, $"no instance of '{request.Service}' found in the {client.Registry.Name} registry within {waitSeconds:0.#} s");
                }
                return await DynamicCall.RunAsync(client.Invoker, request, output, ct);
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            catch (DiscoveryConfigurationException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }
}
