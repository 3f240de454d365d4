using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text.Json;
using Meshwork.Gossip;
using Meshwork.Gossip.Security;
using Meshwork.Serf.Agent.Events;
using Meshwork.Serf.Agent.Ipc;
using Microsoft.Extensions.Logging;

namespace Meshwork.Serf.Agent;

/// <summary>
/// A serf agent built on <see cref="SerfNode"/>: the node, serf's client RPC listener (<see cref="Ipc"/>), event
/// handler scripts (<see cref="Handlers"/>), tags and keyring files, start/retry joins, and serf-style logs
/// (<see cref="LogSink"/>, also streamed to <c>monitor</c> clients). Start it with <see cref="StartAsync"/>; it runs
/// until <see cref="ShutdownRequested"/> completes (an RPC <c>leave</c>) or the host disposes it.
/// </summary>
public sealed class SerfAgent : IAsyncDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _shutdown = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<Task> _loops = [];
    private readonly SemaphoreSlim _tagsLock = new(1, 1);
    private SerfNode? _node;
    private SerfIpcServer? _ipc;
    private EventHandlerRunner? _handlers;
    private Lazy<Task>? _leave;

    /// <summary>Creates the agent; log lines at the configured level go to <paramref name="console"/> (none when null).</summary>
    public SerfAgent(SerfAgentOptions options, TextWriter? console = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        LogSink = new AgentLogSink(console, AgentLogSink.ParseLevel(options.LogLevel));
        _loggerFactory = LogSink;
        _logger = _loggerFactory.CreateLogger("Meshwork.Serf.Agent");
        Events = new AgentEventHub(_logger);
    }

    /// <summary>The settings.</summary>
    public SerfAgentOptions Options { get; }

    /// <summary>The log lines (console and monitors).</summary>
    public AgentLogSink LogSink { get; }

    /// <summary>Fan-out of the node's events to streams and handlers.</summary>
    public AgentEventHub Events { get; }

    /// <summary>The gossip node (after <see cref="StartAsync"/>).</summary>
    public SerfNode Node => _node ?? throw new InvalidOperationException("the agent is not started");

    /// <summary>The client RPC listener (after <see cref="StartAsync"/>).</summary>
    public SerfIpcServer Ipc => _ipc ?? throw new InvalidOperationException("the agent is not started");

    /// <summary>The event handler scripts (after <see cref="StartAsync"/>).</summary>
    public EventHandlerRunner Handlers => _handlers ?? throw new InvalidOperationException("the agent is not started");

    /// <summary>Completes when an RPC client asked the agent to leave and stop.</summary>
    public Task ShutdownRequested => _shutdown.Task;

    /// <summary>The tags this node announces now.</summary>
    public IReadOnlyDictionary<string, string> CurrentTags => Node.Member(Node.Name)?.Tags ?? Node.Options.Tags;

    /// <summary>
    /// Starts the node, the RPC listener and the handlers, then joins <see cref="SerfAgentOptions.StartJoin"/> (failing
    /// if none answers) and starts retry-join in the background.
    /// </summary>
    /// <exception cref="AgentStartException">A file, address or join failed; the message says which.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        AgentLog.Starting(_logger);
        var o = Options;
        var tags = new Dictionary<string, string>(o.Tags, StringComparer.Ordinal);
        if (o.TagsFile is not null && File.Exists(o.TagsFile))
        {
            tags = ReadTagsFile(o.TagsFile);
            AgentLog.TagsRestored(_logger, tags.Count, o.TagsFile);
        }
        var bind = ParseEndPoint(o.BindAddress, 7946, "bind");
        var memberlist = o.Profile switch
        {
            "wan" => MemberlistOptions.Wan(o.NodeName),
            "local" => MemberlistOptions.Local(o.NodeName),
            _ => MemberlistOptions.Lan(o.NodeName),
        };
        memberlist.BindAddress = bind.Address;
        memberlist.BindPort = bind.Port;
        if (o.AdvertiseAddress is not null)
        {
            var adv = ParseEndPoint(o.AdvertiseAddress, bind.Port, "advertise");
            memberlist.AdvertiseAddress = adv.Address;
            memberlist.AdvertisePort = adv.Port;
        }
        if (o.EncryptKey is not null)
        {
            try
            {
                memberlist.Keyring = Keyring.FromBase64(o.EncryptKey);
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException)
            {
                throw new AgentStartException($"invalid encryption key: {ex.Message}", ex);
            }
        }
        if (o.StreamTlsCertFile is not null) memberlist.StreamTls = StreamTlsFiles.Load(o);
        var serfOptions = new SerfOptions
        {
            Memberlist = memberlist,
            AddressResolver = o.AddressResolver,
            Tags = tags,
            SnapshotPath = o.SnapshotPath,
            KeyringFile = o.KeyringFile,
            ProtocolVersion = o.Protocol,
            RejoinAfterLeave = o.Rejoin,
            IgnoreOldEventsOnJoin = !o.Replay,
        };
        try
        {
            _node = new SerfNode(serfOptions, loggerFactory: _loggerFactory);
            _node.Start();
            _ipc = new SerfIpcServer(this, ParseEndPoint(o.RpcAddress, 7373, "rpc-addr"), _loggerFactory.CreateLogger("Meshwork.Serf.Agent.Ipc"));
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException or FormatException or ArgumentException or JsonException)
        {
            throw new AgentStartException(ex.Message, ex);
        }
        _ipc.Start();
        _handlers = new EventHandlerRunner(_node, o, _loggerFactory.CreateLogger("Meshwork.Serf.Agent.Handlers"));
        _loops.Add(_handlers.StartAsync(Events, _stop.Token)); // subscribe before the hub runs, so the scripts see our own join
        _loops.Add(Events.RunAsync(_node, _stop.Token));
        _leave = new Lazy<Task>(() => _node.LeaveAsync());

        if (o.StartJoin.Count > 0)
        {
            var (count, error) = await JoinAsync(o.StartJoin, o.Replay, cancellationToken).ConfigureAwait(false);
            if (count == 0) throw new AgentStartException($"Error joining the cluster: {error}");
        }
        if (o.RetryJoin.Count > 0) _loops.Add(RetryJoinAsync(_stop.Token));
    }

    /// <summary>Joins through <paramref name="addresses"/>; returns how many answered and, when none did, why.</summary>
    public async Task<(int Count, string Error)> JoinAsync(IReadOnlyList<string> addresses, bool replay, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        AgentLog.Joining(_logger, "[" + string.Join(" ", addresses) + "]", replay);
        var seeds = new List<IPEndPoint>();
        var errors = new List<string>();
        foreach (var a in addresses)
        {
            try
            {
                seeds.AddRange(await Options.AddressResolver.ResolveAsync(a, SerfNode.DefaultGossipPort, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (ex is FormatException or System.Net.Sockets.SocketException)
            {
                errors.Add($"Failed to resolve {a}: {ex.Message}");
            }
        }
        int joined = 0;
        if (seeds.Count > 0)
        {
            try
            {
                joined = await Node.JoinAsync(seeds, ignoreOldEvents: !replay, cancellationToken).ConfigureAwait(false);
            }
            catch (AggregateException ex)
            {
                errors.AddRange(ex.InnerExceptions.Select(e => e.Message));
            }
        }
        if (joined > 0)
        {
            AgentLog.Joined(_logger, joined);
            return (joined, "");
        }
        string error = $"could not join any of {string.Join(", ", addresses)}" + (errors.Count == 0 ? "" : $": {string.Join("; ", errors)}");
        AgentLog.JoinFailed(_logger, error);
        return (0, error);
    }

    /// <summary>
    /// Resolves <c>host[:port]</c> (an IP or a DNS name; without a port, <paramref name="defaultPort"/>, the gossip
    /// port 7946 unless given) with <see cref="Gossip.Transport.DnsAddressResolver"/>. Names are resolved on every call, so a
    /// retry-join or rejoin follows DNS changes; joins use <see cref="SerfAgentOptions.AddressResolver"/>.
    /// </summary>
    public static async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(string address, int defaultPort = 7946, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        return await Gossip.Transport.DnsAddressResolver.Instance.ResolveAsync(address, defaultPort, cancellationToken).ConfigureAwait(false);
    }

    private async Task RetryJoinAsync(CancellationToken ct)
    {
        int attempt = 0;
        while (!ct.IsCancellationRequested)
        {
            attempt++;
            var (count, error) = await JoinAsync(Options.RetryJoin, Options.Replay, ct).ConfigureAwait(false);
            if (count > 0) return;
            if (Options.RetryMaxAttempts > 0 && attempt >= Options.RetryMaxAttempts)
            {
                AgentLog.RetryJoinGaveUp(_logger, attempt);
                return;
            }
            // Jitter spreads agents that all restarted together, so they do not retry in lockstep.
            var delay = Options.RetryInterval + TimeSpan.FromMilliseconds(Random.Shared.NextDouble() * Options.RetryInterval.TotalMilliseconds * 0.1);
            AgentLog.RetryJoinFailed(_logger, attempt, error, delay);
            try
            {
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Replaces the tags, announces them, and rewrites the tags file when one is configured.</summary>
    public async Task SetTagsAsync(IReadOnlyDictionary<string, string> tags)
    {
        await _tagsLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await Node.SetTagsAsync(tags).ConfigureAwait(false);
            if (Options.TagsFile is { } path) WriteTagsFile(path, tags);
        }
        finally
        {
            _tagsLock.Release();
        }
    }

    /// <summary>Leaves the cluster gracefully (once; later calls wait for the same leave).</summary>
    public Task LeaveAsync() => (_leave ?? throw new InvalidOperationException("the agent is not started")).Value;

    /// <summary>Asks the host to stop (after an RPC <c>leave</c>).</summary>
    public void RequestShutdown() => _shutdown.TrySetResult();

    /// <summary>Serf's <c>stats</c>: agent, runtime, serf, tags and event_handlers sections.</summary>
    public Dictionary<string, Dictionary<string, string>> Stats()
    {
        var members = Node.Members();
        var (memberTime, eventTime, queryTime) = Node.Clocks;
        static string S(long v) => v.ToString(CultureInfo.InvariantCulture);
        return new(StringComparer.Ordinal)
        {
            ["agent"] = new() { ["name"] = Node.Name },
            ["runtime"] = new()
            {
                ["os"] = RuntimeInformation.OSDescription,
                ["arch"] = RuntimeInformation.OSArchitecture.ToString().ToLowerInvariant(),
                ["version"] = RuntimeInformation.FrameworkDescription,
                ["max_procs"] = S(Environment.ProcessorCount),
                ["cpu_count"] = S(Environment.ProcessorCount),
                ["goroutines"] = S(ThreadPool.ThreadCount),
            },
            ["serf"] = new()
            {
                ["members"] = S(members.Count(m => m.Status is MemberStatus.Alive or MemberStatus.Leaving)),
                ["failed"] = S(members.Count(m => m.Status == MemberStatus.Failed)),
                ["left"] = S(members.Count(m => m.Status == MemberStatus.Left)),
                ["health_score"] = S(Node.Gossip.HealthScore),
                ["member_time"] = memberTime.ToString(CultureInfo.InvariantCulture),
                ["event_time"] = eventTime.ToString(CultureInfo.InvariantCulture),
                ["query_time"] = queryTime.ToString(CultureInfo.InvariantCulture),
                ["encrypted"] = Node.Options.Memberlist.Keyring is null ? "false" : "true",
                ["event_received"] = S(Events.Received),
                ["handlers_failed"] = S(Handlers.Failed),
                ["rpc_malformed"] = S(Ipc.MalformedRequests),
            },
            ["tags"] = new(CurrentTags),
            ["event_handlers"] = new(Handlers.Describe()),
        };
    }

    private static IPEndPoint ParseEndPoint(string text, int defaultPort, string what)
    {
        if (IPEndPoint.TryParse(text, out var ep))
        {
            if (ep.Port == 0 && !text.EndsWith(":0", StringComparison.Ordinal)) ep.Port = defaultPort;
            return ep;
        }
        if (IPAddress.TryParse(text, out var ip)) return new IPEndPoint(ip, defaultPort);
        throw new AgentStartException($"{what}: '{text}' is not an address (expected ip[:port])");
    }

    private static Dictionary<string, string> ReadTagsFile(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var tags = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                tags[p.Name] = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new FormatException($"tag '{p.Name}' is not a string");
            }
            return tags;
        }
        catch (Exception ex) when (ex is IOException or JsonException or FormatException or InvalidOperationException)
        {
            throw new AgentStartException($"Failed to decode tags file {path}: {ex.Message}", ex);
        }
    }

    private static void WriteTagsFile(string path, IReadOnlyDictionary<string, string> tags)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            foreach (var (k, v) in tags.OrderBy(t => t.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
        }
        // Write then rename, so a crash never leaves a half-written tags file.
        string temp = path + ".tmp";
        File.WriteAllBytes(temp, buffer.ToArray());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Stops everything without leaving (call <see cref="LeaveAsync"/> first for a graceful leave).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_ipc is not null) await _ipc.DisposeAsync().ConfigureAwait(false);
        if (_node is not null) await _node.DisposeAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_loops).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        LogSink.Dispose();
        _stop.Dispose();
    }
}

/// <summary>The agent could not start: a bad address, file or key, or no start-join address answered.</summary>
public sealed class AgentStartException : Exception
{
    /// <summary>Creates the error.</summary>
    public AgentStartException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}
