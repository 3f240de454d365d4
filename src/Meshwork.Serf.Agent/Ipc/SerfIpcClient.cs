using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Agent.Ipc;

/// <summary>A member as serf's client RPC reports it.</summary>
/// <param name="Name">Node name.</param>
/// <param name="Address">Gossip address.</param>
/// <param name="Port">Gossip port.</param>
/// <param name="Tags">Tags.</param>
/// <param name="Status">alive, leaving, left or failed.</param>
/// <param name="ProtocolMin">Lowest memberlist protocol.</param>
/// <param name="ProtocolMax">Highest memberlist protocol.</param>
/// <param name="ProtocolCur">Memberlist protocol spoken.</param>
/// <param name="DelegateMin">Lowest serf protocol.</param>
/// <param name="DelegateMax">Highest serf protocol.</param>
/// <param name="DelegateCur">Serf protocol spoken.</param>
public sealed record IpcMember(string Name, IPAddress Address, int Port, IReadOnlyDictionary<string, string> Tags, string Status,
    int ProtocolMin, int ProtocolMax, int ProtocolCur, int DelegateMin, int DelegateMax, int DelegateCur);

/// <summary>One record of a query's answer stream: <c>ack</c> or <c>response</c>.</summary>
/// <param name="Type">"ack" or "response".</param>
/// <param name="From">The answering node.</param>
/// <param name="Payload">The response payload (empty for acks).</param>
public sealed record IpcQueryRecord(string Type, string From, byte[] Payload);

/// <summary>One event of a <c>stream</c>: a member event, a user event or a query to answer with <see cref="SerfIpcClient.RespondAsync"/>.</summary>
/// <param name="Event">"member-join", ..., "user" or "query".</param>
/// <param name="Members">For member events: the members concerned.</param>
/// <param name="LTime">For user events and queries: the Lamport time.</param>
/// <param name="Name">For user events and queries: the name.</param>
/// <param name="Payload">For user events and queries: the payload.</param>
/// <param name="QueryId">For queries: the id to respond with (per connection).</param>
/// <param name="Coalesce">For user events: whether the sender allowed coalescing.</param>
public sealed record IpcEvent(string Event, IReadOnlyList<IpcMember> Members, ulong LTime, string Name, byte[] Payload, ulong QueryId, bool Coalesce);

/// <summary>The outcome of a key command across the cluster.</summary>
/// <param name="Messages">Per-node error messages.</param>
/// <param name="Keys">For list-keys: each installed key and how many nodes hold it.</param>
/// <param name="NumNodes">Members asked.</param>
/// <param name="NumErrors">Members that failed.</param>
/// <param name="NumResponses">Members that answered.</param>
public sealed record IpcKeyResponse(IReadOnlyDictionary<string, string> Messages, IReadOnlyDictionary<string, int> Keys, int NumNodes, int NumErrors, int NumResponses);

/// <summary>A serf coordinate as <c>get-coordinate</c> returns it.</summary>
/// <param name="Vec">Euclidean part.</param>
/// <param name="Error">Confidence.</param>
/// <param name="Adjustment">Local adjustment.</param>
/// <param name="Height">Height above the plane.</param>
public sealed record IpcCoordinate(double[] Vec, double Error, double Adjustment, double Height)
{
    /// <summary>Estimated round trip to <paramref name="other"/>, computed as serf does.</summary>
    public TimeSpan DistanceTo(IpcCoordinate other)
    {
        ArgumentNullException.ThrowIfNull(other);
        double sum = 0;
        for (int i = 0; i < Math.Min(Vec.Length, other.Vec.Length); i++) sum += (Vec[i] - other.Vec[i]) * (Vec[i] - other.Vec[i]);
        double seconds = Math.Sqrt(sum) + Height + other.Height;
        double adjusted = seconds + Adjustment + other.Adjustment;
        if (adjusted > 0) seconds = adjusted;
        return TimeSpan.FromSeconds(seconds);
    }
}

/// <summary>An error answered by the agent (the text is serf's, for example "Invalid authentication token").</summary>
public sealed class SerfIpcException : Exception
{
    /// <summary>Creates the error.</summary>
    public SerfIpcException(string message, Exception? inner = null) : base(message, inner)
    {
    }
}

/// <summary>
/// A client of serf's client RPC protocol: drives a serf agent or a Meshwork agent alike. One connection; requests
/// may overlap (responses are matched by Seq); streaming commands return <see cref="IAsyncEnumerable{T}"/>.
/// </summary>
public sealed class SerfIpcClient : IAsyncDisposable
{
    private const int MaxResponseSize = 16 * 1024 * 1024;
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<ulong, Pending> _pending = new();
    private readonly CancellationTokenSource _closed = new();
    private Task _readLoop = Task.CompletedTask;
    private long _seq;

    private SerfIpcClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    /// <summary>Connects, performs the handshake and, when <paramref name="authKey"/> is given, authenticates.</summary>
    /// <exception cref="SerfIpcException">The agent refused the handshake or the key.</exception>
    /// <exception cref="SocketException">No agent listens at <paramref name="address"/>.</exception>
    public static async Task<SerfIpcClient> ConnectAsync(string address, string? authKey = null, CancellationToken cancellationToken = default)
    {
        var ep = (await SerfAgent.ResolveAsync(address, 7373, cancellationToken).ConfigureAwait(false))[0];
        var tcp = new TcpClient(ep.AddressFamily) { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(ep, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
        var client = new SerfIpcClient(tcp);
        client._readLoop = client.ReadLoopAsync();
        try
        {
            await client.CallAsync(IpcProtocol.Handshake, w =>
            {
                w.WriteMapHeader(1);
                w.WriteStr("Version");
                w.WriteInt(IpcProtocol.Version);
            }, false, cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(authKey))
            {
                await client.CallAsync(IpcProtocol.Auth, w =>
                {
                    w.WriteMapHeader(1);
                    w.WriteStr("AuthKey");
                    w.WriteStr(authKey);
                }, false, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return client;
    }

    /// <summary>All known members.</summary>
    public async Task<IReadOnlyList<IpcMember>> MembersAsync(CancellationToken cancellationToken = default) =>
        ReadMembers(await CallAsync(IpcProtocol.Members, null, true, cancellationToken).ConfigureAwait(false));

    /// <summary>Members whose tags, status and name match the given anchored regular expressions.</summary>
    public async Task<IReadOnlyList<IpcMember>> MembersFilteredAsync(IReadOnlyDictionary<string, string> tags, string status, string name,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tags);
        return ReadMembers(await CallAsync(IpcProtocol.MembersFiltered, w =>
        {
            w.WriteMapHeader(3);
            w.WriteStr("Tags");
            IpcEncoding.StringMap(w, tags);
            w.WriteStr("Status");
            w.WriteStr(status);
            w.WriteStr("Name");
            w.WriteStr(name);
        }, true, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Sends a user event.</summary>
    public Task EventAsync(string name, byte[] payload, bool coalesce, CancellationToken cancellationToken = default) =>
        CallAsync(IpcProtocol.Event, w =>
        {
            w.WriteMapHeader(3);
            w.WriteStr("Name");
            w.WriteStr(name);
            w.WriteStr("Payload");
            w.WriteBin(payload);
            w.WriteStr("Coalesce");
            w.WriteBool(coalesce);
        }, false, cancellationToken);

    /// <summary>Joins through <paramref name="addresses"/>; returns how many answered.</summary>
    public async Task<int> JoinAsync(IReadOnlyList<string> addresses, bool replay, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(addresses);
        var body = await CallAsync(IpcProtocol.Join, w =>
        {
            w.WriteMapHeader(2);
            w.WriteStr("Existing");
            w.WriteArrayHeader(addresses.Count);
            foreach (var a in addresses) w.WriteStr(a);
            w.WriteStr("Replay");
            w.WriteBool(replay);
        }, true, cancellationToken).ConfigureAwait(false);
        return (int)new IpcBody(body as Dictionary<string, object?>).Int("Num");
    }

    /// <summary>Asks the agent to leave gracefully and stop.</summary>
    public Task LeaveAsync(CancellationToken cancellationToken = default) => CallAsync(IpcProtocol.Leave, null, false, cancellationToken);

    /// <summary>Removes a failed node (marks it left; with <paramref name="prune"/> erases it).</summary>
    public Task ForceLeaveAsync(string node, bool prune, CancellationToken cancellationToken = default) =>
        CallAsync(IpcProtocol.ForceLeave, w =>
        {
            w.WriteMapHeader(2);
            w.WriteStr("Node");
            w.WriteStr(node);
            w.WriteStr("Prune");
            w.WriteBool(prune);
        }, false, cancellationToken);

    /// <summary>Sets and deletes tags of the agent's node.</summary>
    public Task SetTagsAsync(IReadOnlyDictionary<string, string> set, IReadOnlyList<string> delete, CancellationToken cancellationToken = default) =>
        CallAsync(IpcProtocol.Tags, w =>
        {
            w.WriteMapHeader(2);
            w.WriteStr("Tags");
            IpcEncoding.StringMap(w, set);
            w.WriteStr("DeleteTags");
            w.WriteArrayHeader(delete.Count);
            foreach (var d in delete) w.WriteStr(d);
        }, false, cancellationToken);

    /// <summary>Runs a key command: install-key, use-key, remove-key or list-keys.</summary>
    public async Task<IpcKeyResponse> KeysAsync(string command, string? key, CancellationToken cancellationToken = default)
    {
        if (command is not (IpcProtocol.InstallKey or IpcProtocol.UseKey or IpcProtocol.RemoveKey or IpcProtocol.ListKeys))
        {
            throw new ArgumentException($"unknown key command '{command}'", nameof(command));
        }
        var (error, body) = await CallRawAsync(command, command == IpcProtocol.ListKeys ? null : w =>
        {
            w.WriteMapHeader(1);
            w.WriteStr("Key");
            w.WriteStr(key ?? "");
        }, true, cancellationToken).ConfigureAwait(false);
        var b = new IpcBody(body as Dictionary<string, object?>);
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        if (body is Dictionary<string, object?> d && d.TryGetValue("Keys", out var k) && k is Dictionary<string, object?> km)
        {
            foreach (var (name, count) in km) keys[name] = Convert.ToInt32(count, System.Globalization.CultureInfo.InvariantCulture);
        }
        var result = new IpcKeyResponse(b.StringMap("Messages"), keys, (int)b.Int("NumNodes"), (int)b.Int("NumErr"), (int)b.Int("NumResp"));
        if (error.Length > 0 && result.NumNodes == 0) throw new SerfIpcException(error);
        return result;
    }

    /// <summary>The agent's statistics, by section.</summary>
    public async Task<IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>>> StatsAsync(CancellationToken cancellationToken = default)
    {
        var body = await CallAsync(IpcProtocol.Stats, null, true, cancellationToken).ConfigureAwait(false);
        var result = new SortedDictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (body is Dictionary<string, object?> sections)
        {
            foreach (var name in sections.Keys) result[name] = new IpcBody(sections).StringMap(name);
        }
        return result;
    }

    /// <summary>The coordinate the agent holds for <paramref name="node"/>, or null when it has none.</summary>
    public async Task<IpcCoordinate?> GetCoordinateAsync(string node, CancellationToken cancellationToken = default)
    {
        var body = await CallAsync(IpcProtocol.GetCoordinate, w =>
        {
            w.WriteMapHeader(1);
            w.WriteStr("Node");
            w.WriteStr(node);
        }, true, cancellationToken).ConfigureAwait(false);
        var b = new IpcBody(body as Dictionary<string, object?>);
        if (!b.Bool("Ok") || body is not Dictionary<string, object?> map || map.GetValueOrDefault("Coord") is not Dictionary<string, object?> c) return null;
        static double D(object? v) => Convert.ToDouble(v ?? 0.0, System.Globalization.CultureInfo.InvariantCulture);
        var vec = (c.GetValueOrDefault("Vec") as List<object?> ?? []).Select(D).ToArray();
        return new IpcCoordinate(vec, D(c.GetValueOrDefault("Error")), D(c.GetValueOrDefault("Adjustment")), D(c.GetValueOrDefault("Height")));
    }

    /// <summary>Runs a query and yields its acks and responses until it is done.</summary>
    public async IAsyncEnumerable<IpcQueryRecord> QueryAsync(string name, byte[] payload, IReadOnlyList<string>? nodes = null,
        IReadOnlyDictionary<string, string>? tags = null, bool requestAck = false, TimeSpan? timeout = null, byte relayFactor = 0,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var records = await StartStreamAsync(IpcProtocol.Query, w =>
        {
            w.WriteMapHeader(7);
            w.WriteStr("FilterNodes");
            w.WriteArrayHeader(nodes?.Count ?? 0);
            foreach (var n in nodes ?? []) w.WriteStr(n);
            w.WriteStr("FilterTags");
            IpcEncoding.StringMap(w, tags ?? new Dictionary<string, string>());
            w.WriteStr("RequestAck");
            w.WriteBool(requestAck);
            w.WriteStr("RelayFactor");
            w.WriteUInt(relayFactor);
            w.WriteStr("Timeout");
            w.WriteInt(timeout is { } t ? t.Ticks * 100 : 0);
            w.WriteStr("Name");
            w.WriteStr(name);
            w.WriteStr("Payload");
            w.WriteBin(payload);
        }, cancellationToken).ConfigureAwait(false);
        await foreach (var record in records.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var r = new IpcBody(record as Dictionary<string, object?>);
            string type = r.String("Type");
            if (type == "done") yield break;
            yield return new IpcQueryRecord(type, r.String("From"), r.Bytes("Payload"));
        }
    }

    /// <summary>
    /// Streams the agent's events matching <paramref name="filter"/> (serf's syntax: <c>*</c>, <c>member-join,user:deploy</c>,
    /// <c>query:load</c>, ...) until cancelled.
    /// </summary>
    public async IAsyncEnumerable<IpcEvent> StreamAsync(string filter, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var records = await StartStreamAsync(IpcProtocol.Stream, w =>
        {
            w.WriteMapHeader(1);
            w.WriteStr("Type");
            w.WriteStr(filter);
        }, cancellationToken).ConfigureAwait(false);
        await foreach (var record in records.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            var r = new IpcBody(record as Dictionary<string, object?>);
            yield return new IpcEvent(r.String("Event"), r.Has("Members") ? ReadMembers(record) : [], r.UInt("LTime"), r.String("Name"),
                r.Bytes("Payload"), r.UInt("ID"), r.Bool("Coalesce"));
        }
    }

    /// <summary>Answers a query received on <see cref="StreamAsync"/> (by its <see cref="IpcEvent.QueryId"/>).</summary>
    public Task RespondAsync(ulong queryId, byte[] payload, CancellationToken cancellationToken = default) =>
        CallAsync(IpcProtocol.Respond, w =>
        {
            w.WriteMapHeader(2);
            w.WriteStr("ID");
            w.WriteUInt(queryId);
            w.WriteStr("Payload");
            w.WriteBin(payload);
        }, false, cancellationToken);

    /// <summary>Streams the agent's log lines at <paramref name="level"/> and above until cancelled.</summary>
    public async IAsyncEnumerable<string> MonitorAsync(string level, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var records = await StartStreamAsync(IpcProtocol.Monitor, w =>
        {
            w.WriteMapHeader(1);
            w.WriteStr("LogLevel");
            w.WriteStr(level);
        }, cancellationToken).ConfigureAwait(false);
        await foreach (var record in records.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return new IpcBody(record as Dictionary<string, object?>).String("Log");
        }
    }

    private static List<IpcMember> ReadMembers(object? body)
    {
        var list = body is Dictionary<string, object?> d && d.GetValueOrDefault("Members") is List<object?> l ? l : [];
        return list.Select(o =>
        {
            var m = new IpcBody(o as Dictionary<string, object?>);
            var addr = m.Bytes("Addr");
            var ip = addr.Length is 4 or 16 ? new IPAddress(addr) : IPAddress.None;
            if (ip.IsIPv4MappedToIPv6) ip = ip.MapToIPv4();
            return new IpcMember(m.String("Name"), ip, (int)m.Int("Port"), m.StringMap("Tags"), m.String("Status"),
                (int)m.Int("ProtocolMin"), (int)m.Int("ProtocolMax"), (int)m.Int("ProtocolCur"),
                (int)m.Int("DelegateMin"), (int)m.Int("DelegateMax"), (int)m.Int("DelegateCur"));
        }).ToList();
    }

    private async Task<object?> CallAsync(string command, Action<MsgPackWriter>? body, bool expectsBody, CancellationToken ct)
    {
        var (error, result) = await CallRawAsync(command, body, expectsBody, ct).ConfigureAwait(false);
        if (error.Length > 0) throw new SerfIpcException(error);
        return result;
    }

    private async Task<(string Error, object? Body)> CallRawAsync(string command, Action<MsgPackWriter>? body, bool expectsBody, CancellationToken ct)
    {
        var pending = new Pending(expectsBody, null);
        ulong seq = await SendAsync(command, body, pending, ct).ConfigureAwait(false);
        // A cancelled call stays registered until its answer arrives, so the reader still knows whether a body follows.
        var answer = await pending.Done.Task.WaitAsync(ct).ConfigureAwait(false);
        _pending.TryRemove(seq, out _);
        return answer;
    }

    private async Task<Channel<object?>> StartStreamAsync(string command, Action<MsgPackWriter> body, CancellationToken ct)
    {
        var records = Channel.CreateBounded<object?>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        var pending = new Pending(false, records);
        ulong seq = await SendAsync(command, body, pending, ct).ConfigureAwait(false);
        // On cancellation the stream stays registered: its records keep coming and the reader must skip their bodies.
        ct.Register(() => records.Writer.TryComplete());
        var (error, _) = await pending.Done.Task.ConfigureAwait(false);
        if (error.Length > 0)
        {
            _pending.TryRemove(seq, out _);
            throw new SerfIpcException(error);
        }
        return records;
    }

    private async Task<ulong> SendAsync(string command, Action<MsgPackWriter>? body, Pending pending, CancellationToken ct)
    {
        ulong seq = (ulong)Interlocked.Increment(ref _seq) - 1;
        _pending[seq] = pending;
        var w = new MsgPackWriter(256);
        IpcEncoding.Request(w, command, seq);
        body?.Invoke(w);
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(w.ToArray(), ct).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
        return seq;
    }

    private async Task ReadLoopAsync()
    {
        var reader = new IpcObjectReader(_stream, MaxResponseSize);
        Exception? failure = null;
        try
        {
            while (true)
            {
                var header = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                if (header == IpcObjectReader.EndOfStream) break;
                var h = new IpcBody(header as Dictionary<string, object?> ?? throw new WireFormatException("response header is not a map"));
                ulong seq = h.UInt("Seq");
                string error = h.String("Error");
                if (!_pending.TryGetValue(seq, out var p)) throw new WireFormatException($"answer for unknown request {seq}");
                if (p.Records is not null && p.Done.Task.IsCompleted)
                {
                    var record = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                    try
                    {
                        await p.Records.Writer.WriteAsync(record, _closed.Token).ConfigureAwait(false);
                    }
                    catch (ChannelClosedException)
                    {
                        // The caller stopped reading this stream: drop its records.
                    }
                    continue;
                }
                object? body = null;
                if (p.ExpectsBody && error != IpcProtocol.AuthRequired) body = await reader.ReadAsync(_closed.Token).ConfigureAwait(false);
                p.Done.TrySetResult((error, body));
            }
        }
        catch (Exception ex) when (ex is IOException or WireFormatException or EndOfStreamException or ObjectDisposedException or OperationCanceledException or SocketException)
        {
            failure = ex;
        }
        var closed = new SerfIpcException("the agent closed the connection", failure);
        foreach (var p in _pending.Values)
        {
            p.Done.TrySetException(closed);
            p.Records?.Writer.TryComplete();
        }
    }

    /// <summary>Closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_closed.IsCancellationRequested) return;
        await _closed.CancelAsync().ConfigureAwait(false);
        _tcp.Dispose();
        try
        {
            await _readLoop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _closed.Dispose();
    }

    private sealed class Pending(bool expectsBody, Channel<object?>? records)
    {
        public bool ExpectsBody { get; } = expectsBody;

        public Channel<object?>? Records { get; } = records;

        public TaskCompletionSource<(string Error, object? Body)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
