using System.CommandLine;
using System.Text;
using System.Text.Json;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Cli.Agent;

/// <summary>members, event, query, join, leave: clients of a running agent's control API.</summary>
internal static class ControlCommands
{
    private static Option<string> RpcAddress() => new("--rpc-addr") { Description = "Agent control API address", DefaultValueFactory = _ => "127.0.0.1:7373" };

    private static async Task<int> WithAgentAsync(string address, Func<IAgentControl, Task<int>> action)
    {
        await using var channel = RpcChannel.ForAddress(address, new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(30), ConnectTimeout = TimeSpan.FromSeconds(3) });
        try
        {
            return await action(new AgentControlClient(channel));
        }
        catch (RpcException ex)
        {
            Console.Error.WriteLine(ex.Status == StatusCode.Unavailable
                ? $"error: no agent answering on {address}: {ex.Message}"
                : $"error: {ex.Status}: {ex.Message}");
            return 1;
        }
    }

    public static IEnumerable<Command> Create()
    {
        yield return Members();
        yield return Event();
        yield return Query();
        yield return Join();
        yield return Leave();
        yield return Keys();
    }

    private static Command Keys()
    {
        var rpc = RpcAddress();
        var install = new Option<string?>("--install") { Description = "Install this base64 key on every member" };
        var use = new Option<string?>("--use") { Description = "Make this installed key primary everywhere" };
        var remove = new Option<string?>("--remove") { Description = "Remove this (non-primary) key everywhere" };
        var list = new Option<bool>("--list") { Description = "List installed keys and how many members hold each" };
        var command = new Command("keys", "Manage the cluster's gossip encryption keys") { rpc, install, use, remove, list };
        command.SetAction((r, ct) =>
        {
            var chosen = new (string Op, string? Key, bool Set)[]
            {
                ("install", r.GetValue(install), r.GetValue(install) is not null),
                ("use", r.GetValue(use), r.GetValue(use) is not null),
                ("remove", r.GetValue(remove), r.GetValue(remove) is not null),
                ("list", null, r.GetValue(list)),
            }.Where(c => c.Set).ToList();
            if (chosen.Count != 1)
            {
                Console.Error.WriteLine("error: give exactly one of --install, --use, --remove, --list");
                return Task.FromResult(2);
            }
            var (op, key, _) = chosen[0];
            return WithAgentAsync(r.GetValue(rpc)!, async agent =>
            {
                var reply = await agent.KeysAsync(new KeyRequest(op, key), ct);
                foreach (var (node, message) in reply.Messages.OrderBy(m => m.Key)) Console.WriteLine($"  {node}: {message}");
                if (op == "list")
                {
                    Console.WriteLine($"Keys installed on the cluster ({reply.Responses}/{reply.Nodes} members answered):");
                    foreach (var (k, count) in reply.Keys.OrderBy(k => k.Key))
                    {
                        string primary = reply.PrimaryKeys.TryGetValue(k, out var p) ? $" (primary on {p})" : "";
                        Console.WriteLine($"  {k} [{count}/{reply.Nodes}]{primary}");
                    }
                }
                bool ok = reply.Errors == 0 && reply.Responses >= reply.Nodes;
                Console.WriteLine(ok
                    ? $"{op}: done on {reply.Responses}/{reply.Nodes} members"
                    : $"{op}: {reply.Errors} errors, {reply.Responses}/{reply.Nodes} members answered");
                return ok ? 0 : 1;
            });
        });
        return command;
    }

    private static Command Members()
    {
        var rpc = RpcAddress();
        var format = new Option<string>("--format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var status = new Option<string?>("--status") { Description = "Only members with this status (alive, leaving, left, failed)" };
        var command = new Command("members", "List the members the agent knows") { rpc, format, status };
        command.SetAction((r, ct) => WithAgentAsync(r.GetValue(rpc)!, async agent =>
        {
            var reply = await agent.MembersAsync(ct);
            var members = reply.Members.Where(m => r.GetValue(status) is not { } s || m.Status == s).OrderBy(m => m.Name).ToList();
            if (r.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(new MembersJson(members.Select(m => new MemberJson(m.Name, m.Address, m.Port, m.Tags, m.Status,
                    new ProtocolJson(m.ProtocolMin, m.ProtocolMax, m.ProtocolCur))).ToList()), CliJson.Default.MembersJson));
            }
            else
            {
                foreach (var m in members)
                {
                    string tags = string.Join(",", m.Tags.OrderBy(t => t.Key).Select(t => $"{t.Key}={t.Value}"));
                    Console.WriteLine($"{m.Name,-20} {m.Address}:{m.Port,-6} {m.Status,-8} {tags}");
                }
            }
            return 0;
        }));
        return command;
    }

    private static Command Event()
    {
        var rpc = RpcAddress();
        var name = new Argument<string>("name") { Description = "Event name" };
        var payload = new Argument<string>("payload") { Description = "Event payload", DefaultValueFactory = _ => "" };
        var noCoalesce = new Option<bool>("--no-coalesce") { Description = "Deliver every event even if newer ones of the same name arrive" };
        var command = new Command("event", "Send a user event to the cluster") { rpc, name, payload, noCoalesce };
        command.SetAction((r, ct) => WithAgentAsync(r.GetValue(rpc)!, async agent =>
        {
            await agent.EventAsync(new EventRequest(r.GetValue(name)!, Encoding.UTF8.GetBytes(r.GetValue(payload) ?? ""), !r.GetValue(noCoalesce)), ct);
            Console.WriteLine($"Event '{r.GetValue(name)}' dispatched!");
            return 0;
        }));
        return command;
    }

    private static Command Query()
    {
        var rpc = RpcAddress();
        var name = new Argument<string>("name") { Description = "Query name" };
        var payload = new Argument<string>("payload") { Description = "Query payload", DefaultValueFactory = _ => "" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for responses (0 = cluster default)" };
        var nodes = new Option<string[]>("--node") { Description = "Only ask this node (repeatable)" };
        var tags = new Option<string[]>("--tag") { Description = "Only ask nodes whose tag matches key=regex (repeatable)" };
        var ack = new Option<bool>("--ack") { Description = "Ask nodes to acknowledge receipt" };
        var command = new Command("query", "Send a query and print the responses") { rpc, name, payload, timeout, nodes, tags, ack };
        command.SetAction((r, ct) => WithAgentAsync(r.GetValue(rpc)!, async agent =>
        {
            var request = new QueryRequest(r.GetValue(name)!, Encoding.UTF8.GetBytes(r.GetValue(payload) ?? ""), r.GetValue(timeout),
                (r.GetValue(nodes) ?? []).ToList(), AgentCommand.ParseTags(r.GetValue(tags) ?? []), r.GetValue(ack));
            int responses = 0, acks = 0;
            await foreach (var answer in agent.QueryAsync(request, ct))
            {
                if (answer.Kind == "ack")
                {
                    acks++;
                    Console.WriteLine($"Ack from '{answer.From}'");
                }
                else
                {
                    responses++;
                    Console.WriteLine($"Response from '{answer.From}': {Encoding.UTF8.GetString(answer.Payload)}");
                }
            }
            Console.WriteLine($"Total Acks: {acks}");
            Console.WriteLine($"Total Responses: {responses}");
            return 0;
        }));
        return command;
    }

    private static Command Join()
    {
        var rpc = RpcAddress();
        var addresses = new Argument<string[]>("address") { Description = "Member addresses to join", Arity = ArgumentArity.OneOrMore };
        var command = new Command("join", "Tell the agent to join a cluster") { rpc, addresses };
        command.SetAction((r, ct) => WithAgentAsync(r.GetValue(rpc)!, async agent =>
        {
            int n = await agent.JoinAsync(new JoinRequest(r.GetValue(addresses)!.ToList()), ct);
            Console.WriteLine($"Successfully joined cluster by contacting {n} nodes.");
            return 0;
        }));
        return command;
    }

    private static Command Leave()
    {
        var rpc = RpcAddress();
        var command = new Command("leave", "Tell the agent to leave the cluster gracefully and stop") { rpc };
        command.SetAction((r, ct) => WithAgentAsync(r.GetValue(rpc)!, async agent =>
        {
            await agent.LeaveAsync(ct);
            Console.WriteLine("Graceful leave complete");
            return 0;
        }));
        return command;
    }
}

internal sealed record ProtocolJson(int Min, int Max, int Version);
internal sealed record MemberJson(string Name, string Addr, int Port, Dictionary<string, string> Tags, string Status, ProtocolJson Protocol);
internal sealed record MembersJson(List<MemberJson> Members);

[System.Text.Json.Serialization.JsonSerializable(typeof(MembersJson))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
internal sealed partial class CliJson : System.Text.Json.Serialization.JsonSerializerContext;
