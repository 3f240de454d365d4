using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Meshwork.Gossip;
using Meshwork.Gossip.Security;
using Meshwork.Rpc.Server;
using Meshwork.Serf;
using Microsoft.Extensions.Logging;

namespace Meshwork.Cli.Agent;

/// <summary>
/// <c>meshwork agent</c>: runs a Serf-compatible gossip node plus its control API. Flags follow <c>serf agent</c>.
/// SIGINT leaves the cluster gracefully (peers see "left"); SIGTERM stops without leaving (peers see "failed"), as serf does.
/// </summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var node = new Option<string>("--node") { Description = "Node name (default: host name)", DefaultValueFactory = _ => Environment.MachineName };
        var bind = new Option<string>("--bind") { Description = "Gossip address (UDP and TCP)", DefaultValueFactory = _ => "127.0.0.1:7946" };
        var advertise = new Option<string?>("--advertise") { Description = "Address announced to peers (default: the bind address)" };
        var rpc = new Option<string>("--rpc-addr") { Description = "Control API address for the other commands", DefaultValueFactory = _ => "127.0.0.1:7373" };
        var join = new Option<string[]>("--join") { Description = "Address of a member to join (repeatable)" };
        var tags = new Option<string[]>("--tag") { Description = "Tag key=value (repeatable)" };
        var encrypt = new Option<string?>("--encrypt") { Description = "Base64 encryption key (16, 24 or 32 bytes), as serf keygen makes" };
        var snapshot = new Option<string?>("--snapshot") { Description = "Snapshot file: lets a restarted agent rejoin its cluster" };
        var keyringFile = new Option<string?>("--keyring-file") { Description = "Keyring file (JSON list of base64 keys, serf's format); rewritten when keys rotate" };
        var profile = new Option<string>("--profile") { Description = "Timing profile: lan, wan or local", DefaultValueFactory = _ => "lan" };
        var logLevel = new Option<LogLevel>("--log-level") { Description = "Log level", DefaultValueFactory = _ => LogLevel.Information };
        var command = new Command("agent", "Run a gossip agent (Serf-compatible) with a control API")
        {
            node, bind, advertise, rpc, join, tags, encrypt, snapshot, keyringFile, profile, logLevel,
        };
        command.SetAction(async (r, ct) =>
        {
            var settings = new AgentSettings(r.GetValue(node)!, r.GetValue(bind)!, r.GetValue(advertise), r.GetValue(rpc)!, r.GetValue(join) ?? [],
                r.GetValue(tags) ?? [], r.GetValue(encrypt), r.GetValue(snapshot), r.GetValue(keyringFile), r.GetValue(profile)!, r.GetValue(logLevel));
            try
            {
                return await RunAsync(settings, ct);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or IOException or System.Text.Json.JsonException or System.Net.Sockets.SocketException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
        });
        return command;
    }

    private sealed record AgentSettings(string Node, string Bind, string? Advertise, string Rpc, string[] Join, string[] Tags, string? Encrypt,
        string? Snapshot, string? KeyringFile, string Profile, LogLevel LogLevel);

    public static IPEndPoint ParseEndPoint(string text, int defaultPort)
    {
        if (IPEndPoint.TryParse(text, out var ep))
        {
            if (ep.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal)) ep.Port = defaultPort;
            return ep;
        }
        if (IPAddress.TryParse(text, out var ip)) return new IPEndPoint(ip, defaultPort);
        throw new FormatException($"'{text}' is not an address (expected ip:port)");
    }

    internal static Dictionary<string, string> ParseTags(IEnumerable<string> pairs)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in pairs)
        {
            int eq = t.IndexOf('=');
            if (eq <= 0) throw new FormatException($"tag must be key=value, got '{t}'");
            tags[t[..eq]] = t[(eq + 1)..];
        }
        return tags;
    }

    private static async Task<int> RunAsync(AgentSettings s, CancellationToken ct)
    {
        using var loggerFactory = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(s.LogLevel));
        var bind = ParseEndPoint(s.Bind, 7946);
        var memberlist = s.Profile switch
        {
            "lan" => MemberlistOptions.Lan(s.Node),
            "wan" => MemberlistOptions.Wan(s.Node),
            "local" => MemberlistOptions.Local(s.Node),
            _ => throw new ArgumentException($"--profile must be lan, wan or local, got '{s.Profile}'"),
        };
        memberlist.BindAddress = bind.Address;
        memberlist.BindPort = bind.Port;
        if (s.Advertise is not null)
        {
            var adv = ParseEndPoint(s.Advertise, bind.Port);
            memberlist.AdvertiseAddress = adv.Address;
            memberlist.AdvertisePort = adv.Port;
        }
        if (s.Encrypt is not null) memberlist.Keyring = Keyring.FromBase64(s.Encrypt);
        var options = new SerfOptions { Memberlist = memberlist, Tags = ParseTags(s.Tags), SnapshotPath = s.Snapshot, KeyringFile = s.KeyringFile };

        await using var serf = new SerfNode(options, loggerFactory: loggerFactory);
        serf.Start();
        var leaveOnce = new Lazy<Task>(() => serf.LeaveAsync());
        var stop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously); // true = graceful leave
        await using var control = new RpcServer(new RpcServerOptions { Endpoints = { s.Rpc } }, loggerFactory, s.Node);
        control.AddService(AgentControlDispatcher.Bind(new AgentControlService(serf, async () =>
        {
            await leaveOnce.Value;
            stop.TrySetResult(false);
        })));
        await control.StartAsync(ct);
        Console.WriteLine($"meshwork agent '{s.Node}': gossip on {serf.LocalEndPoint}, control API on {control.BoundEndpoints[0]}");

        if (s.Join.Length > 0)
        {
            var seeds = s.Join.Select(j => ParseEndPoint(j, 7946)).ToList();
            int joined;
            try
            {
                joined = await serf.JoinAsync(seeds, cancellationToken: ct);
            }
            catch (AggregateException ex)
            {
                Console.Error.WriteLine($"error: could not join any of {string.Join(", ", s.Join)}: {string.Join("; ", ex.InnerExceptions.Select(e => e.Message))}");
                return 1;
            }
            if (joined == 0)
            {
                Console.Error.WriteLine($"error: could not join any of {string.Join(", ", s.Join)}");
                return 1;
            }
            Console.WriteLine($"joined {joined} of {seeds.Count} seed(s)");
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(true); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(false); });
        using var reg = ct.Register(() => stop.TrySetResult(true));
        bool graceful = await stop.Task;
        if (graceful)
        {
            Console.WriteLine("leaving the cluster gracefully ...");
            await leaveOnce.Value;
        }
        else
        {
            Console.WriteLine("shutting down without leaving");
        }
        await control.StopAsync(CancellationToken.None);
        return graceful ? 0 : 1;
    }
}
