using System.CommandLine;
using System.Net;
using System.Runtime.InteropServices;
using Meshwork.Serf.Agent;

namespace Meshwork.Cli.Agent;

/// <summary>
/// <c>meshwork agent</c>: a drop-in serf agent. Flags and config keys follow <c>serf agent</c>; the client RPC address
/// speaks serf's IPC protocol, so the <c>serf</c> CLI and serf client libraries work against it. SIGINT leaves the
/// cluster gracefully (peers see "left"); SIGTERM stops without leaving (peers see "failed"), as serf does.
/// </summary>
internal static class AgentCommand
{
    public static Command Create()
    {
        var node = new Option<string?>("--node") { Description = "Node name (default: host name)" };
        var bind = new Option<string?>("--bind") { Description = "Gossip address ip[:port] for UDP and TCP (default 127.0.0.1:7946)" };
        var advertise = new Option<string?>("--advertise") { Description = "Address announced to peers (default: the bind address)" };
        var rpc = new Option<string?>("--rpc-addr") { Description = "Client RPC address (serf's IPC protocol; default 127.0.0.1:7373)" };
        var rpcAuth = new Option<string?>("--rpc-auth") { Description = "Key RPC clients must present (serf's rpc_auth)" };
        var join = new Option<string[]>("--join") { Description = "Address (ip or DNS name) to join at start; the agent stops if none answers (repeatable)" };
        var retryJoin = new Option<string[]>("--retry-join") { Description = "Address to join in the background until one answers (repeatable)" };
        var retryInterval = new Option<string?>("--retry-interval") { Description = "Pause between retry-join attempts (default 30s)" };
        var retryMax = new Option<int?>("--retry-max") { Description = "Retry-join attempts before giving up (default 0 = forever)" };
        var tags = new Option<string[]>("--tag") { Description = "Tag key=value (repeatable)" };
        var tagsFile = new Option<string?>("--tags-file") { Description = "Tags file: loaded at start, rewritten when tags change" };
        var encrypt = new Option<string?>("--encrypt") { Description = "Base64 encryption key (16, 24 or 32 bytes), as serf keygen makes" };
        var keyringFile = new Option<string?>("--keyring-file") { Description = "Keyring file (JSON list of base64 keys); rewritten when keys rotate" };
        var tlsCert = new Option<string?>("--stream-tls-cert") { Description = "TLS on gossip streams between Meshwork agents: this node's certificate (PEM, or .pfx/.p12)" };
        var tlsKey = new Option<string?>("--stream-tls-key") { Description = "PEM private key of --stream-tls-cert when not in the same file" };
        var tlsCa = new Option<string?>("--stream-tls-ca") { Description = "PEM CA bundle peers' certificates must chain to (default: system trust store)" };
        var tlsAcceptPlain = new Option<bool>("--stream-tls-accept-plain") { Description = "Still serve plain gossip streams (while enabling TLS across a cluster)" };
        var snapshot = new Option<string?>("--snapshot") { Description = "Snapshot file: lets a restarted agent rejoin its cluster" };
        var rejoin = new Option<bool>("--rejoin") { Description = "Rejoin the snapshot's members even after a graceful leave" };
        var replay = new Option<bool>("--replay") { Description = "Replay old user events when joining" };
        var profile = new Option<string?>("--profile") { Description = "Timing profile: lan, wan or local (default lan)" };
        var protocol = new Option<int?>("--protocol") { Description = "Serf protocol version 2..5 (default 5)" };
        var handlers = new Option<string[]>("--event-handler") { Description = "[filter=]script run on events, as serf's -event-handler (repeatable)" };
        var configFile = new Option<string[]>("--config-file") { Description = "JSON configuration file, serf's format (repeatable)" };
        var configDir = new Option<string[]>("--config-dir") { Description = "Directory of JSON configuration files, read in name order (repeatable)" };
        var logLevel = new Option<string?>("--log-level") { Description = "trace, debug, info, warn or err (default info)" };
        var command = new Command("agent", "Run a serf-compatible gossip agent")
        {
            node, bind, advertise, rpc, rpcAuth, join, retryJoin, retryInterval, retryMax, tags, tagsFile, encrypt, keyringFile, tlsCert, tlsKey,
            tlsCa, tlsAcceptPlain, snapshot, rejoin, replay, profile, protocol, handlers, configFile, configDir, logLevel,
        };
        command.SetAction(async (r, ct) =>
        {
            try
            {
                var options = new SerfAgentOptions();
                // Config files first, then flags on top: serf's precedence.
                AgentConfigFile.Apply(options, [.. r.GetValue(configFile) ?? [], .. r.GetValue(configDir) ?? []]);
                if (r.GetValue(node) is { } n) options.NodeName = n;
                if (r.GetValue(bind) is { } b) options.BindAddress = b;
                if (r.GetValue(advertise) is { } a) options.AdvertiseAddress = a;
                if (r.GetValue(rpc) is { } ra) options.RpcAddress = ra;
                if (r.GetValue(rpcAuth) is { } auth) options.RpcAuthKey = auth;
                options.StartJoin.AddRange(r.GetValue(join) ?? []);
                options.RetryJoin.AddRange(r.GetValue(retryJoin) ?? []);
                if (r.GetValue(retryInterval) is { } ri) options.RetryInterval = AgentConfigFile.ParseDuration(ri);
                if (r.GetValue(retryMax) is { } rm) options.RetryMaxAttempts = rm;
                foreach (var (k, v) in ParseTags(r.GetValue(tags) ?? [])) options.Tags[k] = v;
                if (r.GetValue(tagsFile) is { } tf) options.TagsFile = tf;
                if (r.GetValue(encrypt) is { } e) options.EncryptKey = e;
                if (r.GetValue(keyringFile) is { } kf) options.KeyringFile = kf;
                if (r.GetValue(tlsCert) is { } tc) options.StreamTlsCertFile = tc;
                if (r.GetValue(tlsKey) is { } tk) options.StreamTlsKeyFile = tk;
                if (r.GetValue(tlsCa) is { } tca) options.StreamTlsCaFile = tca;
                if (r.GetValue(tlsAcceptPlain)) options.StreamTlsAcceptPlain = true;
                if (r.GetValue(snapshot) is { } s) options.SnapshotPath = s;
                if (r.GetValue(rejoin)) options.Rejoin = true;
                if (r.GetValue(replay)) options.Replay = true;
                if (r.GetValue(profile) is { } p) options.Profile = p;
                if (r.GetValue(protocol) is { } pv) options.Protocol = pv is >= 0 and <= 255 ? (byte)pv : throw new ArgumentException($"protocol must be 2..5, got {pv}");
                options.EventHandlers.AddRange(r.GetValue(handlers) ?? []);
                if (r.GetValue(logLevel) is { } ll) options.LogLevel = ll;
                return await RunAsync(options, ct);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or AgentConfigException)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return 2;
            }
            catch (AgentStartException ex)
            {
                Console.Error.WriteLine($"error: {ex.Message}");
                return ex.Message.StartsWith("Error joining", StringComparison.Ordinal) ? 1 : 2;
            }
        });
        return command;
    }

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

    private static async Task<int> RunAsync(SerfAgentOptions options, CancellationToken ct)
    {
        await using var agent = new SerfAgent(options, Console.Out);
        await agent.StartAsync(ct);
        Console.WriteLine($"meshwork agent '{options.NodeName}': gossip on {agent.Node.LocalEndPoint}, control API on {agent.Ipc.EndPoint}");

        var stop = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously); // true = graceful leave
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(!options.SkipLeaveOnInterrupt); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(options.LeaveOnTerminate); });
        using var reg = ct.Register(() => stop.TrySetResult(true)); // a host that cancels the action: leave gracefully
        _ = agent.ShutdownRequested.ContinueWith(_ => stop.TrySetResult(false), TaskScheduler.Default); // an RPC leave already left
        bool graceful = await stop.Task;
        if (agent.ShutdownRequested.IsCompleted)
        {
            Console.WriteLine("left the cluster on request; shutting down");
            return 0;
        }
        if (graceful)
        {
            Console.WriteLine("leaving the cluster gracefully ...");
            await agent.LeaveAsync();
            return 0;
        }
        Console.WriteLine("shutting down without leaving");
        return 1;
    }
}
