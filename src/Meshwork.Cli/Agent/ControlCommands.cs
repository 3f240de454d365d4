using System.CommandLine;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Meshwork.Serf.Agent.Ipc;

namespace Meshwork.Cli.Agent;

/// <summary>
/// members, event, query, join, leave, force-leave, keys, tags, info, rtt, monitor: clients of an agent's RPC address
/// over serf's IPC protocol, so they drive a serf agent as well as a Meshwork agent.
/// </summary>
internal static class ControlCommands
{
    private static Option<string> RpcAddress() => new("--rpc-addr")
    {
        Description = "Agent RPC address (env SERF_RPC_ADDR)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SERF_RPC_ADDR") is { Length: > 0 } a ? a : "127.0.0.1:7373",
    };

    private static Option<string?> RpcAuth() => new("--rpc-auth")
    {
        Description = "RPC auth key (env SERF_RPC_AUTH)",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SERF_RPC_AUTH"),
    };

    private static async Task<int> WithAgentAsync(ParseResult r, Option<string> rpc, Option<string?> auth, CancellationToken ct, Func<SerfIpcClient, Task<int>> action)
    {
        string address = r.GetValue(rpc)!;
        SerfIpcClient client;
        try
        {
            client = await SerfIpcClient.ConnectAsync(address, r.GetValue(auth), ct);
        }
        catch (SocketException ex)
        {
            Console.Error.WriteLine($"error: no agent answering on {address}: {ex.Message}");
            return 1;
        }
        catch (SerfIpcException ex)
        {
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
        await using (client)
        {
            try
            {
                return await action(client);
            }
            catch (SerfIpcException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 1;
            }
        }
    }

    public static IEnumerable<Command> Create()
    {
        yield return Members();
        yield return Event();
        yield return Query();
        yield return Join();
        yield return Leave();
        yield return ForceLeave();
        yield return Keys();
        yield return Tags();
        yield return Info();
        yield return Rtt();
        yield return Monitor();
    }

    private static Command Keys()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var install = new Option<string?>("--install") { Description = "Install this base64 key on every member" };
        var use = new Option<string?>("--use") { Description = "Make this installed key primary everywhere" };
        var remove = new Option<string?>("--remove") { Description = "Remove this (non-primary) key everywhere" };
        var list = new Option<bool>("--list") { Description = "List installed keys and how many members hold each" };
        var command = new Command("keys", "Manage the cluster's gossip encryption keys") { rpc, auth, install, use, remove, list };
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
            return WithAgentAsync(r, rpc, auth, ct, async agent =>
            {
                var reply = await agent.KeysAsync(op + "-key" is var c && op == "list" ? "list-keys" : c, key, ct);
                foreach (var (node, message) in reply.Messages.OrderBy(m => m.Key, StringComparer.Ordinal)) Console.WriteLine($"  {node}: {message}");
                if (op == "list")
                {
                    Console.WriteLine($"Keys installed on the cluster ({reply.NumResponses}/{reply.NumNodes} members answered):");
                    foreach (var (k, count) in reply.Keys.OrderBy(k => k.Key, StringComparer.Ordinal)) Console.WriteLine($"  {k} [{count}/{reply.NumNodes}]");
                }
                bool ok = reply.NumErrors == 0 && reply.NumResponses >= reply.NumNodes;
                Console.WriteLine(ok
                    ? $"{op}: done on {reply.NumResponses}/{reply.NumNodes} members"
                    : $"{op}: {reply.NumErrors} errors, {reply.NumResponses}/{reply.NumNodes} members answered");
                return ok ? 0 : 1;
            });
        });
        return command;
    }

    private static Command Members()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var format = new Option<string>("--format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var status = new Option<string?>("--status") { Description = "Only members whose status matches this regular expression (alive, leaving, left, failed)" };
        var name = new Option<string?>("--name") { Description = "Only members whose name matches this regular expression" };
        var tags = new Option<string[]>("--tag") { Description = "Only members whose tag matches key=regex (repeatable)" };
        var detailed = new Option<bool>("--detailed") { Description = "Show protocol versions too" };
        var command = new Command("members", "List the members the agent knows") { rpc, auth, format, status, name, tags, detailed };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            var tagFilter = AgentCommand.ParseTags(r.GetValue(tags) ?? []);
            var members = r.GetValue(status) is null && r.GetValue(name) is null && tagFilter.Count == 0
                ? await agent.MembersAsync(ct)
                : await agent.MembersFilteredAsync(tagFilter, r.GetValue(status) ?? "", r.GetValue(name) ?? "", ct);
            var sorted = members.OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
            if (r.GetValue(format) == "json")
            {
                Console.WriteLine(JsonSerializer.Serialize(new MembersJson(sorted.Select(m => new MemberJson(m.Name, $"{m.Address}:{m.Port}", m.Port,
                    new Dictionary<string, string>(m.Tags), m.Status, new ProtocolJson(m.DelegateMin, m.DelegateMax, m.DelegateCur))).ToList()), CliJson.Default.MembersJson));
                return 0;
            }
            foreach (var m in sorted)
            {
                string tagText = string.Join(",", m.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}"));
                string extra = r.GetValue(detailed) ? $"  Protocol Version: {m.DelegateCur}  Available Protocol Range: [{m.DelegateMin}, {m.DelegateMax}]" : "";
                Console.WriteLine($"{m.Name,-20} {m.Address}:{m.Port,-6} {m.Status,-8} {tagText}{extra}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Event()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var name = new Argument<string>("name") { Description = "Event name" };
        var payload = new Argument<string>("payload") { Description = "Event payload", DefaultValueFactory = _ => "" };
        var noCoalesce = new Option<bool>("--no-coalesce") { Description = "Deliver every event even if newer ones of the same name arrive" };
        var command = new Command("event", "Send a user event to the cluster") { rpc, auth, name, payload, noCoalesce };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            await agent.EventAsync(r.GetValue(name)!, Encoding.UTF8.GetBytes(r.GetValue(payload) ?? ""), !r.GetValue(noCoalesce), ct);
            Console.WriteLine($"Event '{r.GetValue(name)}' dispatched!");
            return 0;
        }));
        return command;
    }

    private static Command Query()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var name = new Argument<string>("name") { Description = "Query name" };
        var payload = new Argument<string>("payload") { Description = "Query payload", DefaultValueFactory = _ => "" };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for responses (0 = cluster default)" };
        var nodes = new Option<string[]>("--node") { Description = "Only ask this node (repeatable)" };
        var tags = new Option<string[]>("--tag") { Description = "Only ask nodes whose tag matches key=regex (repeatable)" };
        var ack = new Option<bool>("--ack") { Description = "Ask nodes to acknowledge receipt" };
        var relay = new Option<int>("--relay-factor") { Description = "Extra members that relay each response (0..5)" };
        var command = new Command("query", "Send a query and print the responses") { rpc, auth, name, payload, timeout, nodes, tags, ack, relay };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            double seconds = r.GetValue(timeout);
            int relayFactor = r.GetValue(relay);
            if (relayFactor is < 0 or > 5) throw new SerfIpcException($"relay factor must be 0..5, got {relayFactor}");
            int responses = 0, acks = 0;
            await foreach (var answer in agent.QueryAsync(r.GetValue(name)!, Encoding.UTF8.GetBytes(r.GetValue(payload) ?? ""), r.GetValue(nodes),
                AgentCommand.ParseTags(r.GetValue(tags) ?? []), r.GetValue(ack), seconds > 0 ? TimeSpan.FromSeconds(seconds) : null, (byte)relayFactor, ct))
            {
                if (answer.Type == "ack")
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
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var addresses = new Argument<string[]>("address") { Description = "Member addresses to join", Arity = ArgumentArity.OneOrMore };
        var replay = new Option<bool>("--replay") { Description = "Replay old user events" };
        var command = new Command("join", "Tell the agent to join a cluster") { rpc, auth, addresses, replay };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            var targets = r.GetValue(addresses)!.ToList();
            try
            {
                int n = await agent.JoinAsync(targets, r.GetValue(replay), ct);
                Console.WriteLine($"Successfully joined cluster by contacting {n} nodes.");
                return 0;
            }
            catch (SerfIpcException ex)
            {
                Console.Error.WriteLine($"error: Error joining the cluster: {ex.Message}");
                return 1;
            }
        }));
        return command;
    }

    private static Command Leave()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var command = new Command("leave", "Tell the agent to leave the cluster gracefully and stop") { rpc, auth };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            await agent.LeaveAsync(ct);
            Console.WriteLine("Graceful leave complete");
            return 0;
        }));
        return command;
    }

    private static Command ForceLeave()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var node = new Argument<string>("node") { Description = "Failed node to remove" };
        var prune = new Option<bool>("--prune") { Description = "Erase the node from the member list at once" };
        var command = new Command("force-leave", "Mark a failed node as left (or erase it with --prune)") { rpc, auth, node, prune };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            await agent.ForceLeaveAsync(r.GetValue(node)!, r.GetValue(prune), ct);
            return 0;
        }));
        return command;
    }

    private static Command Tags()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var set = new Option<string[]>("--set") { Description = "Set tag key=value (repeatable)" };
        var delete = new Option<string[]>("--delete") { Description = "Delete tag key (repeatable)" };
        var command = new Command("tags", "Change the agent's tags") { rpc, auth, set, delete };
        command.SetAction((r, ct) =>
        {
            var toSet = AgentCommand.ParseTags(r.GetValue(set) ?? []);
            var toDelete = r.GetValue(delete) ?? [];
            if (toSet.Count == 0 && toDelete.Length == 0)
            {
                Console.Error.WriteLine("error: give at least one --set or --delete");
                return Task.FromResult(2);
            }
            return WithAgentAsync(r, rpc, auth, ct, async agent =>
            {
                await agent.SetTagsAsync(toSet, toDelete, ct);
                Console.WriteLine("Successfully updated agent tags");
                return 0;
            });
        });
        return command;
    }

    private static Command Info()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var format = new Option<string>("--format") { Description = "text or json", DefaultValueFactory = _ => "text" };
        var command = new Command("info", "Show the agent's statistics") { rpc, auth, format };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            var stats = await agent.StatsAsync(ct);
            if (r.GetValue(format) == "json")
            {
                var copy = stats.ToDictionary(s => s.Key, s => new SortedDictionary<string, string>(s.Value.ToDictionary(), StringComparer.Ordinal));
                Console.WriteLine(JsonSerializer.Serialize(copy, CliJson.Default.DictionaryStringSortedDictionaryStringString));
                return 0;
            }
            foreach (var (section, values) in stats)
            {
                Console.WriteLine($"{section}:");
                foreach (var (k, v) in values.OrderBy(v => v.Key, StringComparer.Ordinal)) Console.WriteLine($"\t{k} = {v}");
            }
            return 0;
        }));
        return command;
    }

    private static Command Rtt()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var nodes = new Argument<string[]>("node") { Description = "One node (RTT from the agent's node) or two", Arity = new ArgumentArity(1, 2) };
        var command = new Command("rtt", "Estimate the round trip between two nodes from their network coordinates") { rpc, auth, nodes };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            var names = r.GetValue(nodes)!;
            string a = names[0];
            string b = names.Length > 1 ? names[1] : (await agent.StatsAsync(ct))["agent"]["name"];
            if (names.Length == 1) (a, b) = (b, a);
            var ca = await agent.GetCoordinateAsync(a, ct) ?? throw new SerfIpcException($"Could not find a coordinate for node \"{a}\"");
            var cb = await agent.GetCoordinateAsync(b, ct) ?? throw new SerfIpcException($"Could not find a coordinate for node \"{b}\"");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Estimated {a} <-> {b} rtt: {ca.DistanceTo(cb).TotalMilliseconds:0.000} ms"));
            return 0;
        }));
        return command;
    }

    private static Command Monitor()
    {
        var (rpc, auth) = (RpcAddress(), RpcAuth());
        var level = new Option<string>("--log-level") { Description = "trace, debug, info, warn or err", DefaultValueFactory = _ => "info" };
        var command = new Command("monitor", "Stream the agent's log until interrupted") { rpc, auth, level };
        command.SetAction((r, ct) => WithAgentAsync(r, rpc, auth, ct, async agent =>
        {
            try
            {
                await foreach (var line in agent.MonitorAsync(r.GetValue(level)!, ct)) Console.WriteLine(line);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            return 0;
        }));
        return command;
    }
}

internal sealed record ProtocolJson(int Min, int Max, int Version);
internal sealed record MemberJson(string Name, string Addr, int Port, Dictionary<string, string> Tags, string Status, ProtocolJson Protocol);
internal sealed record MembersJson(List<MemberJson> Members);

[System.Text.Json.Serialization.JsonSerializable(typeof(MembersJson))]
[System.Text.Json.Serialization.JsonSerializable(typeof(Dictionary<string, SortedDictionary<string, string>>))]
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
internal sealed partial class CliJson : System.Text.Json.Serialization.JsonSerializerContext;
