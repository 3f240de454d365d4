using System.CommandLine;

namespace Meshwork.Cli.Demo;

/// <summary>
/// <c>meshwork demo-node</c> (hidden): one demo node in a process of its own, so that the demo can kill it with SIGKILL
/// like a crashed machine. Prints one "ready" line, then serves until killed, interrupted, or its standard input closes
/// (the demo that started it has gone).
/// </summary>
internal static class DemoNodeCommand
{
    public const string Name = "demo-node";
    public const string ReadyPrefix = "demo-node ready:";

    public static Command Create()
    {
        var name = new Option<string>("--name") { Description = "Node name", Required = true };
        var join = new Option<string>("--join") { Description = "Gossip address (ip:port) of a demo node to join", Required = true };
        var command = new Command(Name, "One demo node in its own process (started by demo)") { name, join };
        command.Hidden = true;
        command.SetAction(async (r, ct) =>
        {
            var seed = Agent.AgentCommand.ParseEndPoint(r.GetValue(join)!, 0);
            await using var node = await DemoNode.StartAsync(r.GetValue(name)!, seed, ct);
            Console.WriteLine($"{ReadyPrefix} rpc {node.Server.BoundEndpoints[0]}, gossip {node.Gossip.LocalEndPoint}, pid {Environment.ProcessId}");
            var parentGone = Console.In.ReadToEndAsync(ct);
            try
            {
                await parentGone;
            }
            catch (OperationCanceledException)
            {
            }
            return 0;
        });
        return command;
    }
}
