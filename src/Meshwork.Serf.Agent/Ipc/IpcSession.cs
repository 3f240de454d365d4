using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Meshwork.Gossip.Wire;
using Meshwork.Serf.Agent.Events;

namespace Meshwork.Serf.Agent.Ipc;

/// <summary>
/// One client RPC connection. Requests are handled in order; stream, monitor and query records are written by their
/// own pumps, interleaved with responses under one write lock (the client dispatches on Seq).
/// </summary>
internal sealed class IpcSession : IAsyncDisposable
{
    private readonly SerfIpcServer _server;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly string _remote;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly MsgPackWriter _writer = new(1024);
    private readonly CancellationTokenSource _closed = new();
    private readonly Dictionary<ulong, IDisposable> _streams = [];
    private readonly ConcurrentDictionary<ulong, QueryEventRecord> _pendingQueries = new();
    private (ulong Seq, AgentLogSink.Monitor Monitor)? _monitor;
    private int _version;
    private bool _authenticated;
    private long _nextQueryId;

    public IpcSession(SerfIpcServer server, Socket socket, string remote)
    {
        _server = server;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _remote = remote;
    }

    private SerfAgent Agent => _server.Agent;

    private SerfNode Node => _server.Agent.Node;

    public void Abort() => _closed.Cancel();

    public async Task RunAsync(CancellationToken serverStop)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(serverStop, _closed.Token);
        var ct = linked.Token;
        var reader = new IpcObjectReader(_stream, Agent.Options.MaxRpcRequestSize);
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var header = await reader.ReadAsync(ct).ConfigureAwait(false);
                if (header == IpcObjectReader.EndOfStream) return;
                if (header is not Dictionary<string, object?> map) throw new WireFormatException("request header is not a map");
                var h = new IpcBody(map);
                string command = h.String("Command");
                ulong seq = h.UInt("Seq");
                IpcBody body = default;
                if (IpcProtocol.IsKnown(command) && IpcProtocol.HasBody(command))
                {
                    var b = await reader.ReadAsync(ct).ConfigureAwait(false);
                    if (b == IpcObjectReader.EndOfStream) return;
                    body = new IpcBody(b as Dictionary<string, object?>);
                }
                if (!await HandleAsync(command, seq, body, ct).ConfigureAwait(false)) return;
            }
        }
        catch (Exception ex) when (ex is WireFormatException or EndOfStreamException or OverflowException or InvalidCastException)
        {
            _server.CountMalformed();
            AgentLog.IpcMalformed(_server.Logger, _remote, ex.Message);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
            // The client went away or the agent is stopping.
        }
    }

    /// <summary>Handles one request; false closes the connection (as serf does after these errors).</summary>
    private async Task<bool> HandleAsync(string command, ulong seq, IpcBody body, CancellationToken ct)
    {
        if (command != IpcProtocol.Handshake && _version == 0)
        {
            await SendAsync(seq, IpcProtocol.HandshakeRequired, null, ct).ConfigureAwait(false);
            return false;
        }
        if (Agent.Options.RpcAuthKey is { Length: > 0 } && !_authenticated && command is not (IpcProtocol.Auth or IpcProtocol.Handshake))
        {
            AgentLog.IpcBeforeAuth(_server.Logger, _remote);
            await SendAsync(seq, IpcProtocol.AuthRequired, null, ct).ConfigureAwait(false);
            return true;
        }
        switch (command)
        {
            case IpcProtocol.Handshake:
            {
                long version = body.Int("Version");
                string error = version != IpcProtocol.Version ? IpcProtocol.UnsupportedIpcVersion
                    : _version != 0 ? IpcProtocol.DuplicateHandshake : "";
                if (error.Length == 0) _version = (int)version;
                await SendAsync(seq, error, null, ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.Auth:
            {
                bool ok = string.Equals(body.String("AuthKey"), Agent.Options.RpcAuthKey ?? "", StringComparison.Ordinal);
                if (ok) _authenticated = true;
                await SendAsync(seq, ok ? "" : IpcProtocol.InvalidAuthToken, null, ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.Event:
                await SendAsync(seq, Try(() => Node.UserEvent(body.String("Name"), body.Bytes("Payload"), body.Bool("Coalesce"))), null, ct).ConfigureAwait(false);
                return true;
            case IpcProtocol.ForceLeave:
            {
                string node = body.String("Node");
                AgentLog.ForceLeaving(_server.Logger, node);
                await SendAsync(seq, Try(() => Node.ForceLeave(node, body.Bool("Prune"))), null, ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.Join:
            {
                var (count, error) = await Agent.JoinAsync(body.Strings("Existing"), body.Bool("Replay"), ct).ConfigureAwait(false);
                await SendAsync(seq, error, w =>
                {
                    w.WriteMapHeader(1);
                    w.WriteStr("Num");
                    w.WriteInt(count);
                }, ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.Members:
            {
                var members = Node.Members();
                await SendAsync(seq, "", w => IpcEncoding.Members(w, members), ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.MembersFiltered:
            {
                IReadOnlyList<Member> members;
                string error = "";
                try
                {
                    members = Filter(Node.Members(), body.StringMap("Tags"), body.String("Status"), body.String("Name"));
                }
                catch (ArgumentException ex)
                {
                    members = [];
                    error = $"Failed to compile regex: {ex.Message}";
                }
                await SendAsync(seq, error, w => IpcEncoding.Members(w, members), ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.Stream:
                await StartStreamAsync(seq, body.String("Type"), ct).ConfigureAwait(false);
                return true;
            case IpcProtocol.Monitor:
                await StartMonitorAsync(seq, body.String("LogLevel"), ct).ConfigureAwait(false);
                return true;
            case IpcProtocol.Stop:
            {
                ulong target = body.UInt("Stop");
                if (_monitor is { } m && m.Seq == target)
                {
                    m.Monitor.Dispose();
                    _monitor = null;
                }
                if (_streams.Remove(target, out var s)) s.Dispose();
                await SendAsync(seq, "", null, ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.Leave:
            {
                AgentLog.LeaveTriggered(_server.Logger);
                string error = "";
                try
                {
                    await Agent.LeaveAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is InvalidOperationException or IOException)
                {
                    error = ex.Message;
                }
                await SendAsync(seq, error, null, ct).ConfigureAwait(false);
                Agent.RequestShutdown();
                return true;
            }
            case IpcProtocol.InstallKey or IpcProtocol.UseKey or IpcProtocol.RemoveKey or IpcProtocol.ListKeys:
                await KeysAsync(command, seq, body.String("Key"), ct).ConfigureAwait(false);
                return true;
            case IpcProtocol.Tags:
            {
                var tags = new Dictionary<string, string>(Agent.CurrentTags, StringComparer.Ordinal);
                foreach (var d in body.Strings("DeleteTags")) tags.Remove(d);
                foreach (var (k, v) in body.StringMap("Tags")) tags[k] = v;
                string error = "";
                try
                {
                    await Agent.SetTagsAsync(tags).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ArgumentException or IOException or TagsTooLargeException or UnauthorizedAccessException)
                {
                    error = ex.Message;
                }
                await SendAsync(seq, error, null, ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.Query:
                await QueryAsync(seq, body, ct).ConfigureAwait(false);
                return true;
            case IpcProtocol.Respond:
            {
                string error = "";
                if (!_pendingQueries.TryGetValue(body.UInt("ID"), out var query) || query.Deadline < DateTimeOffset.UtcNow)
                {
                    error = IpcProtocol.InvalidQueryId;
                }
                else
                {
                    try
                    {
                        await query.RespondAsync(body.Bytes("Payload")).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
                    {
                        error = ex.Message;
                    }
                }
                await SendAsync(seq, error, null, ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.Stats:
            {
                var stats = Agent.Stats();
                await SendAsync(seq, "", w =>
                {
                    w.WriteMapHeader(stats.Count);
                    foreach (var (section, values) in stats)
                    {
                        w.WriteStr(section);
                        IpcEncoding.StringMap(w, values);
                    }
                }, ct).ConfigureAwait(false);
                return true;
            }
            case IpcProtocol.GetCoordinate:
            {
                var coord = Node.GetCachedCoordinate(body.String("Node"));
                await SendAsync(seq, "", w =>
                {
                    w.WriteMapHeader(2);
                    w.WriteStr("Coord");
                    w.WriteMapHeader(4);
                    w.WriteStr("Vec");
                    var vec = coord?.Vec ?? [];
                    w.WriteArrayHeader(vec.Length);
                    foreach (var x in vec) w.WriteDouble(x);
                    w.WriteStr("Error");
                    w.WriteDouble(coord?.Error ?? 0);
                    w.WriteStr("Adjustment");
                    w.WriteDouble(coord?.Adjustment ?? 0);
                    w.WriteStr("Height");
                    w.WriteDouble(coord?.Height ?? 0);
                    w.WriteStr("Ok");
                    w.WriteBool(coord is not null);
                }, ct).ConfigureAwait(false);
                return true;
            }
            default:
                await SendAsync(seq, IpcProtocol.UnsupportedCommand, null, ct).ConfigureAwait(false);
                return false;
        }
    }

    private static string Try(Action action)
    {
        try
        {
            action();
            return "";
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return ex.Message;
        }
    }

    private static List<Member> Filter(IReadOnlyList<Member> members, Dictionary<string, string> tags, string status, string name)
    {
        var timeout = TimeSpan.FromSeconds(1); // a client's pattern must not pin a thread
        var tagRes = tags.ToDictionary(t => t.Key, t => new Regex($"^(?:{t.Value})$", RegexOptions.None, timeout));
        var statusRe = new Regex($"^(?:{status})$", RegexOptions.None, timeout);
        var nameRe = new Regex($"^(?:{name})$", RegexOptions.None, timeout);
        return members.Where(m =>
            tagRes.All(t => t.Value.IsMatch(m.Tags.TryGetValue(t.Key, out var v) ? v : ""))
            && (status.Length == 0 || statusRe.IsMatch(AgentEventNames.Of(m.Status)))
            && (name.Length == 0 || nameRe.IsMatch(m.Name))).ToList();
    }

    private async Task KeysAsync(string command, ulong seq, string key, CancellationToken ct)
    {
        KeyOperationResult? result = null;
        string error = "";
        try
        {
            result = command switch
            {
                IpcProtocol.InstallKey => await Node.Keys.InstallKeyAsync(key).ConfigureAwait(false),
                IpcProtocol.UseKey => await Node.Keys.UseKeyAsync(key).ConfigureAwait(false),
                IpcProtocol.RemoveKey => await Node.Keys.RemoveKeyAsync(key).ConfigureAwait(false),
                _ => await Node.Keys.ListKeysAsync().ConfigureAwait(false),
            };
            if (!result.Succeeded) error = "1 error occurred";
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException)
        {
            error = ex.Message;
        }
        await SendAsync(seq, error, w =>
        {
            w.WriteMapHeader(5);
            w.WriteStr("Messages");
            IpcEncoding.StringMap(w, result?.Messages ?? new Dictionary<string, string>());
            w.WriteStr("Keys");
            if (command == IpcProtocol.ListKeys && result is not null)
            {
                w.WriteMapHeader(result.Keys.Count);
                foreach (var (k, n) in result.Keys)
                {
                    w.WriteStr(k);
                    w.WriteInt(n);
                }
            }
            else
            {
                w.WriteNil();
            }
            w.WriteStr("NumNodes");
            w.WriteInt(result?.NumNodes ?? 0);
            w.WriteStr("NumErr");
            w.WriteInt(result?.NumErrors ?? 0);
            w.WriteStr("NumResp");
            w.WriteInt(result?.NumResponses ?? 0);
        }, ct).ConfigureAwait(false);
    }

    private async Task QueryAsync(ulong seq, IpcBody body, CancellationToken ct)
    {
        var parameters = new QueryParams
        {
            FilterNodes = body.Strings("FilterNodes"),
            FilterTags = body.StringMap("FilterTags"),
            RequestAck = body.Bool("RequestAck"),
            RelayFactor = checked((byte)body.UInt("RelayFactor")),
        };
        long timeoutNs = body.Int("Timeout");
        if (timeoutNs > 0) parameters.Timeout = TimeSpan.FromTicks(timeoutNs / 100);
        QueryResponse response;
        try
        {
            response = Node.Query(body.String("Name"), body.Bytes("Payload"), parameters);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            await SendAsync(seq, ex.Message, null, ct).ConfigureAwait(false);
            return;
        }
        await SendAsync(seq, "", null, ct).ConfigureAwait(false);
        _ = PumpQueryAsync(seq, response, ct);
    }

    private async Task PumpQueryAsync(ulong seq, QueryResponse response, CancellationToken ct)
    {
        try
        {
            var acks = Task.Run(async () =>
            {
                await foreach (var from in response.Acks.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    await SendAsync(seq, "", w => QueryRecord(w, "ack", from, null), ct).ConfigureAwait(false);
                }
            }, ct);
            await foreach (var r in response.Responses.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await SendAsync(seq, "", w => QueryRecord(w, "response", r.From, r.Payload), ct).ConfigureAwait(false);
            }
            await acks.ConfigureAwait(false);
            await SendAsync(seq, "", w => QueryRecord(w, "done", "", null), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    private static void QueryRecord(MsgPackWriter w, string type, string from, byte[]? payload)
    {
        w.WriteMapHeader(3);
        w.WriteStr("Type");
        w.WriteStr(type);
        w.WriteStr("From");
        w.WriteStr(from);
        w.WriteStr("Payload");
        if (payload is null) w.WriteNil();
        else w.WriteBin(payload);
    }

    private async Task StartStreamAsync(ulong seq, string type, CancellationToken ct)
    {
        var filters = EventFilter.ParseList(type);
        string error = filters.All(f => f.IsValid) ? _streams.ContainsKey(seq) ? IpcProtocol.StreamExists : "" : IpcProtocol.InvalidFilter;
        await SendAsync(seq, error, null, ct).ConfigureAwait(false);
        if (error.Length > 0) return;
        var subscription = Agent.Events.Subscribe(filters, Agent.Options.StreamQueueCapacity, $"stream {seq} of {_remote}");
        _streams[seq] = subscription;
        _ = PumpEventsAsync(seq, subscription, ct);
    }

    private async Task PumpEventsAsync(ulong seq, AgentEventHub.Subscription subscription, CancellationToken ct)
    {
        try
        {
            await foreach (var e in subscription.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                switch (e)
                {
                    case MemberEventRecord m:
                        await SendAsync(seq, "", w =>
                        {
                            w.WriteMapHeader(2);
                            w.WriteStr("Event");
                            w.WriteStr(AgentEventNames.Of(m.Type));
                            w.WriteStr("Members");
                            w.WriteArrayHeader(1);
                            IpcEncoding.Member(w, m.Member);
                        }, ct).ConfigureAwait(false);
                        break;
                    case UserEventRecord u:
                        await SendAsync(seq, "", w =>
                        {
                            w.WriteMapHeader(5);
                            w.WriteStr("Event");
                            w.WriteStr("user");
                            w.WriteStr("LTime");
                            w.WriteUInt(u.LTime);
                            w.WriteStr("Name");
                            w.WriteStr(u.Name);
                            w.WriteStr("Payload");
                            w.WriteBin(u.Payload);
                            w.WriteStr("Coalesce");
                            w.WriteBool(u.Coalesce);
                        }, ct).ConfigureAwait(false);
                        break;
                    case QueryEventRecord q:
                        ulong id = (ulong)Interlocked.Increment(ref _nextQueryId);
                        var remaining = q.Deadline - DateTimeOffset.UtcNow;
                        if (remaining > TimeSpan.Zero)
                        {
                            _pendingQueries[id] = q;
                            _ = ForgetQueryAsync(id, remaining);
                        }
                        await SendAsync(seq, "", w =>
                        {
                            w.WriteMapHeader(5);
                            w.WriteStr("Event");
                            w.WriteStr("query");
                            w.WriteStr("ID");
                            w.WriteUInt(id);
                            w.WriteStr("LTime");
                            w.WriteUInt(q.LTime);
                            w.WriteStr("Name");
                            w.WriteStr(q.Name);
                            w.WriteStr("Payload");
                            w.WriteBin(q.Payload);
                        }, ct).ConfigureAwait(false);
                        break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ForgetQueryAsync(ulong id, TimeSpan after)
    {
        try
        {
            await Task.Delay(after, _closed.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _pendingQueries.TryRemove(id, out _);
    }

    private async Task StartMonitorAsync(ulong seq, string level, CancellationToken ct)
    {
        Microsoft.Extensions.Logging.LogLevel parsed;
        try
        {
            parsed = AgentLogSink.ParseLevel(level);
        }
        catch (ArgumentException ex)
        {
            await SendAsync(seq, ex.Message, null, ct).ConfigureAwait(false);
            return;
        }
        if (_monitor is not null)
        {
            await SendAsync(seq, IpcProtocol.MonitorExists, null, ct).ConfigureAwait(false);
            return;
        }
        await SendAsync(seq, "", null, ct).ConfigureAwait(false);
        var monitor = Agent.LogSink.StartMonitor(parsed);
        _monitor = (seq, monitor);
        _ = PumpLogsAsync(seq, monitor, ct);
    }

    private async Task PumpLogsAsync(ulong seq, AgentLogSink.Monitor monitor, CancellationToken ct)
    {
        try
        {
            await foreach (var line in monitor.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                await SendAsync(seq, "", w =>
                {
                    w.WriteMapHeader(1);
                    w.WriteStr("Log");
                    w.WriteStr(line);
                }, ct).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task SendAsync(ulong seq, string error, Action<MsgPackWriter>? body, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            _writer.Reset();
            IpcEncoding.Header(_writer, seq, error);
            body?.Invoke(_writer);
            await _stream.WriteAsync(_writer.WrittenSpan.ToArray(), ct).ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closed.CancelAsync().ConfigureAwait(false);
        foreach (var s in _streams.Values) s.Dispose();
        _streams.Clear();
        _monitor?.Monitor.Dispose();
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
