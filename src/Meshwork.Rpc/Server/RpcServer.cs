using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Rpc.Server;

/// <summary>
/// Hosts services on one or more endpoints. <see cref="StartAsync"/> binds and accepts; <see cref="StopAsync"/> is the
/// shutdown protocol: stop accepting, send go-away on every connection, let in-flight calls finish within
/// <see cref="RpcServerOptions.DrainTimeout"/>, cancel what is left, close.
/// </summary>
public sealed class RpcServer : IAsyncDisposable, IDisposable
{
    private readonly Dictionary<string, ServiceDefinition> _services = new(StringComparer.Ordinal);
    private readonly List<IServerMiddleware> _middleware = new();
    private readonly List<Socket> _listeners = new();
    private readonly List<RpcEndpoint> _bound = new();
    private readonly ConcurrentDictionary<ServerConnection, byte> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _acceptLoops = new();
    private int _activeCalls;
    private int _connectionSlots;
    private int _state; // 0 new, 1 started, 2 stopping, 3 stopped

    /// <summary>A server with <paramref name="options"/> (validated on start), logging to <paramref name="loggerFactory"/> (default none),
    /// named <paramref name="name"/> in error messages (default the machine name).</summary>
    public RpcServer(RpcServerOptions options, ILoggerFactory? loggerFactory = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        Logger = (ILogger?)loggerFactory?.CreateLogger("Meshwork.Rpc.Server") ?? NullLogger.Instance;
        Name = name ?? Environment.MachineName;
        ProtocolMonitor = new ProtocolErrorMonitor(Logger, ProtocolErrorMonitor.DefaultInterval, ProtocolErrors);
    }

    /// <summary>
    /// Protocol errors made by clients since the server was created, per kind (bad magic, oversized frames, garbled
    /// headers, stream-rule violations, failed TLS handshakes...). Every error is counted, also those whose log line
    /// was suppressed by <see cref="RpcServerOptions.ProtocolErrorLogInterval"/>; export them as monotonic counters.
    /// </summary>
    public ProtocolErrorCounters ProtocolErrors { get; } = new();

    internal ProtocolErrorMonitor ProtocolMonitor { get; private set; }

    /// <summary>
    /// Memory held for connections (queued replies, unparsed input, requests being served) against
    /// <see cref="RpcServerOptions.MaxBufferedBytes"/>, with its peak, the read pauses back-pressure caused and the
    /// stalled connections closed. Valid after <see cref="StartAsync"/>.
    /// </summary>
    public BufferBudget Buffers { get; private set; } = new(long.MaxValue);

    internal long WriteStallMicros { get; private set; }

    /// <summary>The options the server was created with; changes after <see cref="StartAsync"/> have no effect.</summary>
    public RpcServerOptions Options { get; }

    /// <summary>Name used in error messages (which server spent the budget).</summary>
    public string Name { get; }

    internal ILogger Logger { get; }
    internal ConnectionLimits Limits { get; private set; } = null!;
    internal Utf8StringCache Names { get; } = new(1024);
    internal long IdleMicros { get; private set; }
    internal bool IsStopping => Volatile.Read(ref _state) >= 2;

    /// <summary>Endpoints actually bound (port 0 resolved to the real port). Valid after <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<RpcEndpoint> BoundEndpoints => _bound;

    /// <summary>Client connections open right now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>The open connections (for tests and diagnostics).</summary>
    internal ICollection<ServerConnection> Connections => _connections.Keys;

    /// <summary>Calls being handled right now, across all connections (one-way calls included).</summary>
    public int ActiveCalls => Volatile.Read(ref _activeCalls);

    /// <summary>The services added with <see cref="AddService"/>.</summary>
    public IEnumerable<ServiceDefinition> Services => _services.Values;

    /// <summary>Adds a service; only before <see cref="StartAsync"/>, and each service name once.</summary>
    public RpcServer AddService(ServiceDefinition service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (_state != 0) throw new InvalidOperationException("services must be added before the server starts");
        if (!_services.TryAdd(service.Name, service)) throw new ArgumentException($"service '{service.Name}' is already registered");
        return this;
    }

    /// <summary>Adds server middleware; the first added runs outermost.</summary>
    public RpcServer Use(IServerMiddleware middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        if (_state != 0) throw new InvalidOperationException("middleware must be added before the server starts");
        _middleware.Add(middleware);
        return this;
    }

    internal ServerMethod? FindMethod(string service, string method, out string? error)
    {
        if (!_services.TryGetValue(service, out var def))
        {
            error = $"service '{service}' is not registered on server {Name}";
            return null;
        }
        if (!def.Methods.TryGetValue(method, out var m))
        {
            error = $"service '{service}' has no method '{method}' (it has: {string.Join(", ", def.MethodNames)})";
            return null;
        }
        error = null;
        return m;
    }

    /// <summary>Validates the options, binds every endpoint and starts accepting connections. A server starts once.</summary>
    public Task StartAsync(CancellationToken ct = default)
    {
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("the server was already started");
        Options.Validate();
        ProtocolMonitor = new ProtocolErrorMonitor(Logger, Options.ProtocolErrorLogInterval, ProtocolErrors);
        Buffers = new BufferBudget(Options.MaxBufferedBytes);
        if (Options.TrimMemoryAfterBurst) Buffers.EnableTrimAfterBurst();
        WriteStallMicros = (long)Options.WriteStallTimeout.TotalMicroseconds;
        Limits = new ConnectionLimits(Options.MaxFrameSize, Options.MaxMessageSize, Options.MaxQueuedWriteBytes);
        IdleMicros = (long)Options.IdleTimeout.TotalMicroseconds;
        ReaderThreads = new ReaderThreadBudget(Options.ReaderThreads);
        foreach (var service in _services.Values)
        {
            foreach (var method in service.Methods.Values) method.Bind(_middleware);
        }
        try
        {
            foreach (var address in Options.Endpoints)
            {
                var endpoint = RpcEndpoint.Parse(address);
                var socket = Bind(endpoint, out var bound);
                _listeners.Add(socket);
                _bound.Add(bound);
                RpcLog.Listening(Logger, bound.Display);
                _acceptLoops.Add(AcceptLoopAsync(socket));
            }
        }
        catch
        {
            _stopping.Cancel();
            foreach (var l in _listeners) l.Dispose();
            Volatile.Write(ref _state, 3);
            throw;
        }
        return Task.CompletedTask;
    }

    private static Socket Bind(RpcEndpoint endpoint, out RpcEndpoint bound)
    {
        Socket socket;
        if (endpoint.IsUnixSocket)
        {
            string path = ((UnixDomainSocketEndPoint)endpoint.EndPoint).ToString();
            if (File.Exists(path)) File.Delete(path);
            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        }
        else
        {
            if (endpoint.EndPoint is not IPEndPoint) throw new ArgumentException($"cannot listen on {endpoint}: use an IP address, not a host name");
            socket = new Socket(endpoint.EndPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        }
        try
        {
            socket.Bind(endpoint.EndPoint);
            socket.Listen(512);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"cannot listen on {endpoint}: {ex.SocketErrorCode} ({ex.Message})", ex);
        }
        bound = socket.LocalEndPoint is IPEndPoint ip ? RpcEndpoint.Tcp(ip) : endpoint;
        return socket;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                if (_stopping.IsCancellationRequested) return;
                // Transient (e.g. out of file descriptors): back off briefly instead of spinning.
                if (ProtocolMonitor.Limiter.ShouldLog("accept", ProtocolErrorMonitor.RejectedConnectionCategory, out long suppressed))
                {
                    RpcLog.Rejected(Logger, "accept", ex.Message, suppressed);
                }
                await Task.Delay(50).ConfigureAwait(false);
                continue;
            }
            _ = AcceptAsync(socket);
        }
    }

    private async Task AcceptAsync(Socket socket)
    {
        string peer = socket.RemoteEndPoint?.ToString() is { Length: > 0 } r ? r : "unix-peer";
        string source = ProtocolErrorMonitor.SourceOf(socket.RemoteEndPoint);
        if (socket.AddressFamily != AddressFamily.Unix) socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        X509Certificate2? clientCertificate = null;
        try
        {
            if (Options.Tls is { } tls)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                using var timeout = new CancellationTokenSource(tls.HandshakeTimeout);
                await ssl.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
                {
                    ServerCertificate = tls.Certificate,
                    ClientCertificateRequired = tls.ClientCertificateRequired || tls.RequestClientCertificate, // asks for one; the callback decides
                    RemoteCertificateValidationCallback = tls.ClientCertificateValidation,
                    ApplicationProtocols = [Alpn.Meshwork1],
                }, timeout.Token).ConfigureAwait(false);
                if (tls.ClientCertificateRequired && ssl.RemoteCertificate is null)
                {
                    throw new System.Security.Authentication.AuthenticationException("client presented no certificate");
                }
                clientCertificate = ssl.RemoteCertificate switch
                {
                    null => null,
                    X509Certificate2 typed => typed,
                    var other => X509CertificateLoader.LoadCertificate(other.GetRawCertData()),
                };
            }
        }
        catch (Exception ex)
        {
            ProtocolMonitor.Report(source, peer, ProtocolErrorKind.TlsHandshakeFailed, "TLS handshake failed: " + ex.Message);
            await stream.DisposeAsync().ConfigureAwait(false);
            return;
        }

        // Admission is one atomic step: the slot is taken before anything of the connection is read, so two
        // connections accepted at the same moment cannot both see a free slot, and a rejected connection never has
        // a read loop that could dispatch its requests.
        bool admitted = !IsStopping && TryTakeConnectionSlot();
        if (!admitted || IsStopping)
        {
            if (admitted) ReleaseConnectionSlot();
            bool stopping = IsStopping;
            string why = stopping ? "server is shutting down" : $"server is at its limit of {Options.MaxConnections} connections (MaxConnections)";
            if (ProtocolMonitor.Limiter.ShouldLog(source, ProtocolErrorMonitor.RejectedConnectionCategory, out long suppressed))
            {
                RpcLog.Rejected(Logger, peer, why, suppressed);
            }
            await ConnectionRejection.RejectAsync(stream, socket, stopping ? StatusCode.Unavailable : StatusCode.ResourceExhausted, why).ConfigureAwait(false);
            return;
        }
        // A plaintext socket so far untouched by asynchronous operations may read on a thread of its own (ReaderThreads).
        if (stream is NetworkStream plain && ReaderThreads.TryTake(socket, tls: false)) stream = new ReaderThreadStream(plain, ReaderThreads);
        var connection = new ServerConnection(stream, peer, source, this) { ClientCertificate = clientCertificate };
        _connections.TryAdd(connection, 0);
        RpcLog.Accepted(Logger, peer);
        connection.Start();
    }

    /// <summary>Reader threads of this server's connections (<see cref="RpcServerOptions.ReaderThreads"/>).</summary>
    internal ReaderThreadBudget ReaderThreads { get; private set; } = new(0);

    private bool TryTakeConnectionSlot()
    {
        if (Interlocked.Increment(ref _connectionSlots) <= Options.MaxConnections) return true;
        Interlocked.Decrement(ref _connectionSlots);
        return false;
    }

    private void ReleaseConnectionSlot() => Interlocked.Decrement(ref _connectionSlots);

    /// <summary>Returns the connection's slot once it is fully closed, never earlier.</summary>
    internal void OnConnectionClosed(ServerConnection connection)
    {
        if (_connections.TryRemove(connection, out _)) ReleaseConnectionSlot();
    }

    internal bool TryTakeCallSlot()
    {
        if (Interlocked.Increment(ref _activeCalls) <= Options.MaxConcurrentCalls) return true;
        Interlocked.Decrement(ref _activeCalls);
        return false;
    }

    internal void ReleaseCallSlot() => Interlocked.Decrement(ref _activeCalls);

    /// <summary>
    /// The handlers of every connection, in arrival order. One queue for the whole server rather than one per
    /// connection: with several connections the requests of their reads join the same batches, so a drainer's batch
    /// (and the one socket write per connection it ends with) grows with the load instead of being split per connection.
    /// Each connection's sweep checks its progress (<see cref="RunQueue.CheckProgress"/>).
    /// </summary>
    internal RunQueue Handlers { get; } = new();

    /// <summary>Graceful shutdown. Cancelling <paramref name="ct"/> skips the rest of the drain. Safe to call more than once; later calls wait for the first.</summary>
    public Task StopAsync(CancellationToken ct = default)
    {
        lock (_listeners)
        {
            if (_stopTask is not null) return _stopTask;
            if (Interlocked.CompareExchange(ref _state, 3, 0) == 0)
            {
                _stopTask = Task.CompletedTask; // never started
                return _stopTask;
            }
            Volatile.Write(ref _state, 2);
            _stopTask = StopCoreAsync(ct);
            return _stopTask;
        }
    }

    private Task? _stopTask;

    private async Task StopCoreAsync(CancellationToken ct)
    {
        _stopping.Cancel();
        foreach (var l in _listeners) l.Dispose();
        foreach (var endpoint in _bound)
        {
            if (endpoint.EndPoint is UnixDomainSocketEndPoint uds) TryDelete(uds.ToString());
        }
        var connections = _connections.Keys.ToArray();
        foreach (var c in connections) c.SendGoAway(shuttingDown: true);
        RpcLog.Draining(Logger, connections.Length, ActiveCalls, Options.DrainTimeout.TotalMilliseconds);

        using var drain = CancellationTokenSource.CreateLinkedTokenSource(ct);
        drain.CancelAfter(Options.DrainTimeout);
        while (ActiveCalls > 0 && !drain.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(10, drain.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }
        if (ActiveCalls > 0)
        {
            RpcLog.DrainTimedOut(Logger, ActiveCalls);
            foreach (var c in _connections.Keys) c.CancelAll(StatusCode.Unavailable);
            // Give cancelled handlers a moment to send their final status.
            for (int i = 0; i < 50 && ActiveCalls > 0; i++) await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
        }
        await Task.WhenAll(_connections.Keys.Select(c => c.CloseAsync())).ConfigureAwait(false);
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        Volatile.Write(ref _state, 3);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>For containers that only dispose synchronously: a graceful stop, blocking. Prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>A graceful stop (<see cref="StopAsync"/>), then releases the server's resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
