using System.CommandLine;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Cli;

/// <summary><c>meshwork call</c>: one unary call with a string request and a string reply, for smoke-testing a server.</summary>
internal static class CallCommand
{
    public static Command Create()
    {
        var address = new Argument<string>("address") { Description = "Server address: host:port or unix:///path" };
        var method = new Argument<string>("method") { Description = "Service/Method" };
        var data = new Argument<string>("data") { Description = "Request string", DefaultValueFactory = _ => "" };
        var timeout = new Option<double>("--timeout") { Description = "Deadline in seconds", DefaultValueFactory = _ => 10 };
        var header = new Option<string[]>("--header", "-H") { Description = "Request header key=value (repeatable)", AllowMultipleArgumentsPerToken = false };
        var command = new Command("call", "Make a unary call with a string request") { address, method, data, timeout, header };
        command.SetAction(async (result, ct) =>
        {
            string full = result.GetValue(method)!;
            int slash = full.IndexOf('/');
            if (slash <= 0 || slash == full.Length - 1)
            {
                Console.Error.WriteLine($"error: method must look like Service/Method, got '{full}'");
                return 2;
            }
            var descriptor = new Method<string, string>(full[..slash], full[(slash + 1)..], CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
            Metadata? headers = null;
            foreach (var h in result.GetValue(header) ?? [])
            {
                int eq = h.IndexOf('=');
                if (eq <= 0)
                {
                    Console.Error.WriteLine($"error: header must be key=value, got '{h}'");
                    return 2;
                }
                (headers ??= new()).Add(h[..eq], h[(eq + 1)..]);
            }
            await using var channel = RpcChannel.ForAddress(result.GetValue(address)!);
            try
            {
                var reply = await channel.UnaryAsync(descriptor, result.GetValue(data) ?? "",
                    new CallOptions { CancellationToken = ct, Timeout = TimeSpan.FromSeconds(result.GetValue(timeout)), Headers = headers });
                Console.WriteLine(reply);
                return 0;
            }
            catch (RpcException ex)
            {
                Console.Error.WriteLine($"error: {ex.Status}: {ex.Message}");
                return 1;
            }
        });
        return command;
    }
}
