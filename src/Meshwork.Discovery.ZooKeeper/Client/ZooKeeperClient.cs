using System.Diagnostics;
using System.Threading.Channels;
using Meshwork.Discovery.ZooKeeper.Protocol;
using Meshwork.Internal;
using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.ZooKeeper.Client;

/// <summary>What happened to the session; published on <see cref="ZooKeeperClient.Events"/>.</summary>
internal enum SessionEventKind
{
    /// <summary>A connection is up (to the same session, or to a new one: see <see cref="SessionEvent.NewSession"/>).</summary>
    Connected,

    /// <summary>The connection was lost; the client is reconnecting to the same session.</summary>
    Disconnected,

    /// <summary>The server reported the session expired: its ephemeral nodes are gone; a new session follows.</summary>
    Expired,
}

internal readonly record struct SessionEvent(SessionEventKind Kind, long SessionId, bool NewSession);

/// <summary>
/// A minimal ZooKeeper client: one session over one connection at a time, kept alive across connection losses.
/// A supervisor connects to the servers of the connect string in turn (starting at a random one); after a round in
/// which every server failed it waits with jittered exponential backoff. A lost connection is replaced by a new one
/// to the same session (same id and password), so the session's ephemeral nodes survive; if the server answers that
/// the session expired, the client opens a new session and reports <see cref="SessionEventKind.Expired"/>, so its
/// owner can create its ephemeral nodes again. Requests wait for a connection within the request timeout and fail
/// with a <see cref="ZooKeeperException"/> that says why.
/// </summary>
internal sealed class ZooKeeperClient : IAsyncDisposable
{
    private readonly ZooKeeperDiscoveryOptions _options;
    private readonly IReadOnlyList<ZooKeeperHost> _hosts;
    private readonly ILogger _log;
    private readonly WatchTable _watches = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<SessionEvent> _events =
        Channel.CreateBounded<SessionEvent>(new BoundedChannelOptions(16) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly Lock _gate = new();
    private TaskCompletionSource<ZooKeeperConnection> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ZooKeeperConnection? _connection;
    private long _sessionId;
    private byte[] _password;
    private long _lastZxid;
    private int _nextHost;
    private string _lastError = "no connection attempted yet";
    private readonly JitteredBackoff _backoff;
    private readonly LogRateLimit _lossLog = new(TimeSpan.FromSeconds(30));
    private readonly LogRateLimit _unreachableLog = new(TimeSpan.FromSeconds(30));
    private Task? _supervisor;
    private int _connections;
    private int _sessions;
    private int _expirations;
    private long _pingReplies;
    private long _malformedFrames;

    /// <summary>
    /// Creates the client; it connects on <see cref="Start"/> or the first request. A non-zero session id (with its
    /// password) resumes that session instead of opening a new one.
    /// </summary>
    public ZooKeeperClient(ZooKeeperDiscoveryOptions options, ILogger logger, long sessionId = 0, byte[]? password = null)
    {
        options.Validate();
        _options = options;
        _hosts = options.Hosts;
        _log = logger;
        // Waits of 80–100 % of the nominal delay, so that ReconnectMax (at most SessionTimeout) stays a ceiling.
        _backoff = new JitteredBackoff(options.ReconnectInitial, options.ReconnectMax, multiplier: 2, jitter: 0.2);
        _sessionId = sessionId;
        _password = password ?? new byte[ZooKeeperWire.PasswordLength];
        _nextHost = options.FirstHost is { } first ? first % _hosts.Count : Random.Shared.Next(_hosts.Count);
    }

    /// <summary>The current session id (0 before the first connection).</summary>
    public long SessionId => Interlocked.Read(ref _sessionId);

    /// <summary>The current session's password (with <see cref="SessionId"/>, what resumes the session).</summary>
    public byte[] SessionPassword
    {
        get { lock (_gate) return (byte[])_password.Clone(); }
    }

    /// <summary>Connections made so far (more than one means the client reconnected).</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Sessions opened so far (more than one means a session expired and was replaced).</summary>
    public int SessionsOpened => Volatile.Read(ref _sessions);

    /// <summary>Session expiries reported by servers.</summary>
    public int Expirations => Volatile.Read(ref _expirations);

    /// <summary>Ping replies received (the session's keep-alive at work).</summary>
    public long PingReplies => Interlocked.Read(ref _pingReplies);

    /// <summary>Connections dropped because a server sent a malformed frame (or one above the size limit).</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformedFrames);

    /// <summary>Watches set and not yet fired.</summary>
    public int PendingWatches => _watches.Count;

    /// <summary>True while a connection is up.</summary>
    public bool IsConnected => Volatile.Read(ref _connection) is not null;

    /// <summary>Session state changes, newest kept when the reader falls behind (bounded).</summary>
    public ChannelReader<SessionEvent> Events => _events.Reader;

    private string Servers => string.Join(",", _hosts);

    /// <summary>Starts connecting in the background (idempotent).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            _supervisor ??= Task.Run(SuperviseAsync);
        }
    }

    private async Task SuperviseAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            ZooKeeperConnection connection;
            try
            {
                connection = await ConnectAnyAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            TaskCompletionSource<ZooKeeperConnection> connected;
            lock (_gate)
            {
                _connection = connection;
                connected = _connected;
            }
            connected.TrySetResult(connection);
            long connectedAt = Stopwatch.GetTimestamp();
            await ((Task)connection.Closed.WaitAsync(ct)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lock (_gate)
            {
                _connection = null;
                // After a stop, the completed (faulted) task stays so that waiting requests fail at once.
                if (!ct.IsCancellationRequested)
                {
                    _connected = new TaskCompletionSource<ZooKeeperConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
            if (ct.IsCancellationRequested)
            {
                connection.Fail(new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, "the client was closed"));
                break;
            }
            var reason = connection.Closed.Result;
            _lastError = reason.Message;
            CountMalformed(reason);
            _watches.FireAll(WatchKeeperState.Disconnected);
            _events.Writer.TryWrite(new SessionEvent(SessionEventKind.Disconnected, SessionId, false));
            if (_lossLog.Allow(out long suppressed)) ZooKeeperLog.ConnectionLost(_log, connection.Server.ToString(), reason.Message, suppressed);
            // A connection that dies right after its handshake (a flapping or hostile server) counts as a failed
            // attempt: the next one waits the backoff, so reconnects never spin. A connection that lived longer than
            // the backoff ceiling resets it, so an ordinary loss is repaired at once.
            if (Stopwatch.GetElapsedTime(connectedAt) < _options.ReconnectMax)
            {
                try
                {
                    await BackOffAsync(ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            else
            {
                _backoff.Reset();
            }
        }
    }

    /// <summary>Waits the current backoff (jittered, so clients of a restarted ensemble do not return in step) and doubles it.</summary>
    private async Task BackOffAsync(CancellationToken ct) => await Task.Delay(_backoff.Next(), ct).ConfigureAwait(false);

    private async Task<ZooKeeperConnection> ConnectAnyAsync(CancellationToken ct)
    {
        while (true)
        {
            for (int tried = 0; tried < _hosts.Count; tried++)
            {
                var host = _hosts[_nextHost];
                long session;
                byte[] password;
                lock (_gate)
                {
                    session = _sessionId;
                    password = _password;
                }
                try
                {
                    var connection = await ZooKeeperConnection.OpenAsync(host, session, password, Interlocked.Read(ref _lastZxid), _options,
                        OnEvent, OnZxid, OnPingReply, ct).ConfigureAwait(false);
                    bool newSession = connection.Grant.SessionId != session;
                    lock (_gate)
                    {
                        _sessionId = connection.Grant.SessionId;
                        _password = connection.Grant.Password;
                    }
                    Interlocked.Increment(ref _connections);
                    if (newSession) Interlocked.Increment(ref _sessions);
                    ZooKeeperLog.Connected(_log, connection.Grant.SessionId, host.ToString(), (long)connection.Grant.Timeout.TotalMilliseconds, newSession);
                    _events.Writer.TryWrite(new SessionEvent(SessionEventKind.Connected, connection.Grant.SessionId, newSession));
                    return connection;
                }
                catch (ZooKeeperException e) when (e.Code == ZooKeeperErrorCode.SessionExpired && session != 0)
                {
                    // Only a resumed session can expire; "expired" in answer to a new-session request is a failed
                    // attempt like any other (below), so a broken server cannot make this loop spin.
                    // The same server is asked again at once, for a new session.
                    Interlocked.Increment(ref _expirations);
                    ZooKeeperLog.SessionExpired(_log, session);
                    lock (_gate)
                    {
                        _sessionId = 0;
                        _password = new byte[ZooKeeperWire.PasswordLength];
                    }
                    _lastError = e.Message;
                    _watches.FireAll(WatchKeeperState.Expired);
                    _events.Writer.TryWrite(new SessionEvent(SessionEventKind.Expired, session, false));
                    tried--;
                    continue;
                }
                catch (ZooKeeperException e)
                {
                    _lastError = e.Message;
                    CountMalformed(e);
                }
                _nextHost = (_nextHost + 1) % _hosts.Count;
            }
            if (_unreachableLog.Allow(out long suppressed)) ZooKeeperLog.Unreachable(_log, Servers, _lastError, suppressed);
            await BackOffAsync(ct).ConfigureAwait(false);
        }
    }

    private void CountMalformed(Exception e)
    {
        if (e is ZooKeeperException { Code: ZooKeeperErrorCode.MarshallingError }) Interlocked.Increment(ref _malformedFrames);
    }

    private void OnEvent(WatchedEvent e) => _watches.Notify(e);

    private void OnPingReply() => Interlocked.Increment(ref _pingReplies);

    private void OnZxid(long zxid)
    {
        long seen;
        while ((seen = Interlocked.Read(ref _lastZxid)) < zxid && Interlocked.CompareExchange(ref _lastZxid, zxid, seen) != seen)
        {
        }
    }

    /// <summary>The current connection, waiting for one up to <paramref name="budget"/>.</summary>
    private async Task<ZooKeeperConnection> ConnectionAsync(TimeSpan budget, string? path, CancellationToken ct)
    {
        Start();
        Task<ZooKeeperConnection> connected;
        lock (_gate) connected = _connected.Task;
        try
        {
            return await connected.WaitAsync(budget, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss,
                $"not connected to any of {Servers} within {budget.TotalMilliseconds:0} ms (last error: {_lastError})", path);
        }
    }

    /// <summary>Sends one request on the current connection and waits for its reply within the request timeout.</summary>
    private async Task<T> RequestAsync<T>(Func<JuteWriter> build, OpCode op, string? path, ReplyParser<T> parse, ErrorParser<T>? parseError,
        CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
        var started = DateTime.UtcNow;
        var connection = await ConnectionAsync(_options.RequestTimeout, path, ct).ConfigureAwait(false);
        var left = _options.RequestTimeout - (DateTime.UtcNow - started);
        if (left <= TimeSpan.Zero) left = TimeSpan.FromMilliseconds(1);
        var reply = connection.Send(build(), op, path, parse, parseError);
        try
        {
            return await reply.WaitAsync(left, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Replies come in order: everything behind this one is stuck too, so the connection is replaced.
            var error = new ZooKeeperException(ZooKeeperErrorCode.RequestTimeout,
                $"{op} got no reply from {connection.Server} within {_options.RequestTimeout.TotalMilliseconds:0} ms (RequestTimeout)", path);
            connection.Fail(error);
            throw error;
        }
    }

    /// <summary>Creates a node with world:anyone permissions; returns its path.</summary>
    public Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, CancellationToken ct) =>
        RequestAsync(() =>
        {
            var w = ZooKeeperConnection.Header(OpCode.Create, 64 + path.Length * 3 + data.Length);
            w.WriteString(path);
            w.WriteBuffer(data.Span);
            w.WriteInt(1); // one ACL: world:anyone with every permission (the registry has no auth scheme)
            w.WriteInt(ZooKeeperWire.PermsAll);
            w.WriteString("world");
            w.WriteString("anyone");
            w.WriteInt((int)mode);
            return w;
        }, OpCode.Create, path, static (ref JuteReader r) => r.ReadString("path") ?? "", null, ct);

    /// <summary>Deletes a node (any version when <paramref name="version"/> is -1).</summary>
    public Task DeleteAsync(string path, int version, CancellationToken ct) =>
        RequestAsync(() =>
        {
            var w = ZooKeeperConnection.Header(OpCode.Delete, 32 + path.Length * 3);
            w.WriteString(path);
            w.WriteInt(version);
            return w;
        }, OpCode.Delete, path, static (ref JuteReader _) => true, null, ct);

    /// <summary>Replaces a node's data (any version when <paramref name="version"/> is -1).</summary>
    public Task<ZNodeStat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version, CancellationToken ct) =>
        RequestAsync(() =>
        {
            var w = ZooKeeperConnection.Header(OpCode.SetData, 32 + path.Length * 3 + data.Length);
            w.WriteString(path);
            w.WriteBuffer(data.Span);
            w.WriteInt(version);
            return w;
        }, OpCode.SetData, path, static (ref JuteReader r) => r.ReadStat(), null, ct);

    /// <summary>
    /// The node's stat, or null when it does not exist. With <paramref name="watch"/>, also a task that completes when
    /// the node is created, changed or deleted (ZooKeeper sets the watch even on an absent node).
    /// </summary>
    public Task<(ZNodeStat? Stat, Task<WatchedEvent>? Watch)> ExistsAsync(string path, bool watch, CancellationToken ct) =>
        RequestAsync(() =>
        {
            var w = ZooKeeperConnection.Header(OpCode.Exists, 32 + path.Length * 3);
            w.WriteString(path);
            w.WriteBool(watch);
            return w;
        }, OpCode.Exists, path, (ref JuteReader r) => ((ZNodeStat?)r.ReadStat(), watch ? _watches.Node(path) : null),
        (ZooKeeperErrorCode code, out (ZNodeStat?, Task<WatchedEvent>?) value) =>
        {
            value = (null, code == ZooKeeperErrorCode.NoNode && watch ? _watches.Node(path) : null);
            return code == ZooKeeperErrorCode.NoNode;
        }, ct);

    /// <summary>The node's data and stat; with <paramref name="watch"/>, a task that completes when it changes or is deleted.</summary>
    public Task<(byte[] Data, ZNodeStat Stat, Task<WatchedEvent>? Watch)> GetDataAsync(string path, bool watch, CancellationToken ct) =>
        RequestAsync(() =>
        {
            var w = ZooKeeperConnection.Header(OpCode.GetData, 32 + path.Length * 3);
            w.WriteString(path);
            w.WriteBool(watch);
            return w;
        }, OpCode.GetData, path, (ref JuteReader r) =>
        {
            var data = r.ReadBuffer("data") ?? [];
            var stat = r.ReadStat();
            return (data, stat, watch ? _watches.Node(path) : null);
        }, null, ct);

    /// <summary>The node's children names and stat; with <paramref name="watch"/>, a task that completes when a child is added or removed.</summary>
    public Task<(string[] Children, ZNodeStat Stat, Task<WatchedEvent>? Watch)> GetChildrenAsync(string path, bool watch, CancellationToken ct) =>
        RequestAsync(() =>
        {
            var w = ZooKeeperConnection.Header(OpCode.GetChildren2, 32 + path.Length * 3);
            w.WriteString(path);
            w.WriteBool(watch);
            return w;
        }, OpCode.GetChildren2, path, (ref JuteReader r) =>
        {
            var children = r.ReadStringVector("children");
            var stat = r.ReadStat();
            return (children, stat, watch ? _watches.Children(path) : null);
        }, null, ct);

    /// <summary>
    /// Ends the session: closeSession (the server deletes the session's ephemeral nodes at once), then the connection
    /// closes. If no server answers within the request timeout, the session simply expires later.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        ZooKeeperConnection? connection;
        lock (_gate)
        {
            if (_stop.IsCancellationRequested) return;
            connection = _connection;
        }
        if (connection is not null)
        {
            try
            {
                var reply = connection.Send(ZooKeeperConnection.Header(OpCode.CloseSession, 16), OpCode.CloseSession, null, static (ref JuteReader _) => true);
                await reply.WaitAsync(_options.RequestTimeout).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ZooKeeperException or TimeoutException)
            {
                // Not answered: the server expires the session after its timeout instead.
            }
        }
        await StopAsync().ConfigureAwait(false);
    }

    /// <summary>Stops without closing the session, as a crash would: the server expires it (and its ephemeral nodes) after its timeout.</summary>
    public async ValueTask AbandonAsync()
    {
        lock (_gate)
        {
            if (_stop.IsCancellationRequested) return;
        }
        await StopAsync().ConfigureAwait(false);
    }

    private async Task StopAsync()
    {
        Task? supervisor;
        ZooKeeperConnection? connection;
        lock (_gate)
        {
            // Read before cancelling: cancelling lets the supervisor (possibly inline) clear the field.
            connection = _connection;
            supervisor = _supervisor;
            _stop.Cancel();
            _connected.TrySetException(new ObjectDisposedException(nameof(ZooKeeperClient)));
        }
        connection?.Fail(new ZooKeeperException(ZooKeeperErrorCode.ConnectionLoss, "the client was closed"));
        if (supervisor is not null) await supervisor.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _watches.FireAll(WatchKeeperState.Closed);
        _events.Writer.TryComplete();
    }
}
