using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Tars;

/// <summary>
/// Serves TARS objects on a TARS endpoint (<c>tcp|udp|ssl -h host -p port -t idle-ms</c>), speaking TARS v1 and TUP v2/v3 so
/// that unmodified TARS clients (C++, Go, Java, Node) call Meshwork services. Answers <c>tars_ping</c> for every
/// object, never replies to one-way calls, answers <c>-3</c>/<c>-4</c> for unknown functions/objects, <c>-9</c> at once
/// when an in-flight limit is reached, and closes connections idle longer than the endpoint's <c>-t</c>.
/// </summary>
public sealed class TarsServer : IAsyncDisposable
{
    private readonly Dictionary<string, TarsServiceDefinition> _services = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<TarsServerConnection, byte> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Socket? _listener;
    private TarsUdpListener? _udp;
    private int _handshaking;
    private Task? _acceptLoop;
    private Task? _idleLoop;
    private int _inFlight;
    private long _callsServed;
    private long _overloadRejections;
    private long _malformedFrames;
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>Creates a server; add objects with <see cref="AddService"/>, then <see cref="StartAsync(string, CancellationToken)"/>.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public TarsServer(TarsServerOptions? options = null)
    {
        Options = options ?? new TarsServerOptions();
        Options.Validate();
        Logger = Options.LoggerFactory?.CreateLogger("Meshwork.Tars.Server") ?? NullLogger.Instance;
        MalformedLog = new LogRateLimiter(Options.MalformedLogInterval);
        Middleware = [.. Options.Middleware];
    }

    /// <summary>The settings.</summary>
    public TarsServerOptions Options { get; }

    internal ILogger Logger { get; }

    internal LogRateLimiter MalformedLog { get; }

    internal Meshwork.Rpc.Server.IServerMiddleware[] Middleware { get; }

    internal CancellationToken Stopping => _stopping.Token;

    /// <summary>The served object and function names, for decoding requests without a string per name (set at start).</summary>
    internal TarsNameTable? Names { get; private set; }

    private readonly Meshwork.Rpc.Internal.ObjectPool<TarsParameterWriter> _results = new(256);

    /// <summary>A results writer for one call, reused across calls (handlers must not keep it past their call).</summary>
    internal TarsParameterWriter RentResults(short version)
    {
        var writer = _results.TryRent();
        if (writer is null) return new TarsParameterWriter(version);
        writer.Reset(version);
        return writer;
    }

    /// <summary>Takes a results writer back, unless its buffers grew large (those go back to the array pool).</summary>
    internal void ReturnResults(TarsParameterWriter writer)
    {
        if (writer.RetainedBytes > 64 * 1024)
        {
            writer.Dispose();
            return;
        }
        writer.Clear();
        _results.Return(writer);
    }

    /// <summary>The endpoint actually bound (with the real port when 0 was asked for); null before start.</summary>
    public TarsEndpoint? Endpoint { get; private set; }

    /// <summary>The objects served.</summary>
    public IEnumerable<string> ObjectNames => _services.Keys;

    /// <summary>Calls answered (or completed, for one-way calls) since start.</summary>
    public long CallsServed => Interlocked.Read(ref _callsServed);

    /// <summary>Calls refused with <c>-9</c> because an in-flight limit was reached.</summary>
    public long OverloadRejections => Interlocked.Read(ref _overloadRejections);

    /// <summary>Frames that could not be decoded (the connection was closed each time).</summary>
    public long MalformedFrames => Interlocked.Read(ref _malformedFrames);

    /// <summary>Calls in flight now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Open connections now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>Adds an object. Must be called before start.</summary>
    /// <param name="service">The object and its functions.</param>
    /// <returns>This server.</returns>
    /// <exception cref="ArgumentException">An object of that name is already added.</exception>
    /// <exception cref="InvalidOperationException">The server has started.</exception>
    public TarsServer AddService(TarsServiceDefinition service)
    {
        ArgumentNullException.ThrowIfNull(service);
        if (_state != 0) throw new InvalidOperationException("objects must be added before the TARS server starts");
        if (!_services.TryAdd(service.ObjectName, service)) throw new ArgumentException($"TARS object {service.ObjectName} is added twice", nameof(service));
        return this;
    }

    internal bool TryGetService(string objectName, out TarsServiceDefinition service) => _services.TryGetValue(objectName, out service!);

    /// <summary>Starts listening on a TARS endpoint string, e.g. <c>tcp -h 127.0.0.1 -p 0 -t 60000</c>.</summary>
    /// <param name="endpoint">The endpoint: <c>tcp</c>, <c>udp</c> or <c>ssl</c> (ssl needs <see cref="TarsServerOptions.Tls"/>).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The bound endpoint.</returns>
    /// <exception cref="TarsProxyFormatException">The endpoint string is malformed.</exception>
    public Task<TarsEndpoint> StartAsync(string endpoint, CancellationToken cancellationToken = default) =>
        StartAsync(TarsEndpoint.Parse(endpoint), cancellationToken);

    /// <summary>Starts listening on <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">
    /// The endpoint: tcp, udp (one request per datagram, each remote address a peer) or ssl (TLS over TCP, with
    /// <see cref="TarsServerOptions.Tls"/>). Its <c>-t</c> is the idle timeout of a connection or UDP peer (0 = none).
    /// </param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The bound endpoint.</returns>
    /// <exception cref="InvalidOperationException">An ssl endpoint without <see cref="TarsServerOptions.Tls"/> certificate, or the server was started before.</exception>
    public Task<TarsEndpoint> StartAsync(TarsEndpoint endpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        cancellationToken.ThrowIfCancellationRequested();
        if (endpoint.Transport == TarsTransport.Ssl) TarsServerTls.EnsureServable(Options, endpoint);
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0) throw new InvalidOperationException("the TARS server is already started or stopped");
        Names = new TarsNameTable(_services.Keys.Concat(_services.Values.SelectMany(s => s.Functions)).Append(TarsKeys.Ping));
        var address = ResolveBindAddress(endpoint.Host);
        if (endpoint.Transport == TarsTransport.Udp) return Task.FromResult(StartUdp(endpoint, address));
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(new IPEndPoint(address, endpoint.Port));
            socket.Listen(512);
        }
        catch
        {
            socket.Dispose();
            _state = 0;
            throw;
        }
        _listener = socket;
        Endpoint = endpoint with { Port = ((IPEndPoint)socket.LocalEndPoint!).Port };
        TarsLog.Listening(Logger, Endpoint.ToString(), string.Join(", ", _services.Keys));
        _acceptLoop = AcceptLoopAsync(socket);
        if (endpoint.Timeout > 0) _idleLoop = IdleLoopAsync(endpoint.Timeout);
        return Task.FromResult(Endpoint);
    }

    private TarsEndpoint StartUdp(TarsEndpoint endpoint, IPAddress address)
    {
        try
        {
            _udp = TarsUdpListener.Start(this, address, endpoint.Port, TryAdopt);
        }
        catch
        {
            _state = 0;
            throw;
        }
        Endpoint = endpoint with { Port = _udp.LocalEndPoint.Port };
        TarsLog.Listening(Logger, Endpoint.ToString(), string.Join(", ", _services.Keys));
        if (endpoint.Timeout > 0) _idleLoop = IdleLoopAsync(endpoint.Timeout);
        return Endpoint;
    }

    /// <summary>Registers a connection or UDP peer and runs it; false (nothing registered) when MaxConnections is reached.</summary>
    private bool TryAdopt(TarsServerConnection connection)
    {
        if (_connections.Count >= Options.MaxConnections || Volatile.Read(ref _state) == 2) return false;
        _connections[connection] = 0;
        _ = RunConnectionAsync(connection);
        return true;
    }

    private async Task AcceptTlsAsync(Socket client, string peer)
    {
        try
        {
            var stream = await TarsServerTls.AuthenticateAsync(this, client, peer, _stopping.Token).ConfigureAwait(false);
            if (stream is not null && !TryAdopt(new TarsServerConnection(this, client, stream, peer))) await stream.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _handshaking);
        }
    }

    private static IPAddress ResolveBindAddress(string host)
    {
        if (host is "0.0.0.0" or "*") return IPAddress.Any;
        if (IPAddress.TryParse(host, out var ip)) return ip;
        var addresses = Dns.GetHostAddresses(host);
        return addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.First();
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (_stopping.IsCancellationRequested || e is ObjectDisposedException || Volatile.Read(ref _state) == 2)
            {
                return;
            }
            catch (SocketException)
            {
                continue; // a connection reset before accept completed; keep accepting
            }
            string peer = client.RemoteEndPoint?.ToString() ?? "?";
            if (_connections.Count + Volatile.Read(ref _handshaking) >= Options.MaxConnections)
            {
                TarsLog.ConnectionRefused(Logger, peer, _connections.Count);
                client.Dispose();
                continue;
            }
            client.NoDelay = true;
            if (Endpoint!.Transport == TarsTransport.Ssl)
            {
                // The handshake runs off the accept loop (bounded by HandshakeTimeout) so a slow client delays nobody else.
                Interlocked.Increment(ref _handshaking);
                _ = AcceptTlsAsync(client, peer);
                continue;
            }
            var connection = new TarsServerConnection(this, client, peer);
            _connections[connection] = 0;
            _ = RunConnectionAsync(connection);
        }
    }

    private async Task RunConnectionAsync(TarsServerConnection connection)
    {
        try
        {
            await connection.RunAsync().ConfigureAwait(false);
            await connection.Closed.ConfigureAwait(false);
        }
        finally
        {
            _connections.TryRemove(connection, out _);
        }
    }

    private async Task IdleLoopAsync(int idleMs)
    {
        // Checks a few times per idle period; a connection with no input and no call in flight for idleMs is closed,
        // as TARS servers do for the endpoint's -t.
        var period = TimeSpan.FromMilliseconds(Math.Clamp(idleMs / 4, 50, 5000));
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token).ConfigureAwait(false))
            {
                long now = Clock.NowMicros;
                foreach (var connection in _connections.Keys)
                {
                    long idle = (now - Volatile.Read(ref connection.LastActivityMicros)) / 1000;
                    if (idle >= idleMs && connection.InFlight == 0)
                    {
                        TarsLog.IdleClosed(Logger, connection.Peer, idle);
                        connection.Close();
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    internal bool TryEnterCall(TarsServerConnection connection, out string reason)
    {
        if (Interlocked.Increment(ref _inFlight) > Options.MaxConcurrentCalls)
        {
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _overloadRejections);
            reason = $"{Options.MaxConcurrentCalls} calls in flight on the server (MaxConcurrentCalls)";
            return false;
        }
        if (Interlocked.Increment(ref connection.InFlightCalls) > Options.MaxConcurrentCallsPerConnection)
        {
            Interlocked.Decrement(ref connection.InFlightCalls);
            Interlocked.Decrement(ref _inFlight);
            Interlocked.Increment(ref _overloadRejections);
            reason = $"{Options.MaxConcurrentCallsPerConnection} calls in flight on this connection (MaxConcurrentCallsPerConnection)";
            return false;
        }
        reason = "";
        return true;
    }

    internal void ExitCall(TarsServerConnection connection)
    {
        Interlocked.Decrement(ref connection.InFlightCalls);
        Interlocked.Increment(ref _callsServed);
        if (Interlocked.Decrement(ref _inFlight) == 0 && Volatile.Read(ref _state) == 2) _drained.TrySetResult();
    }

    internal void CountMalformed() => Interlocked.Increment(ref _malformedFrames);

    /// <summary>
    /// Stops accepting, lets calls in flight finish for up to <see cref="TarsServerOptions.DrainTimeout"/>, then cancels
    /// what is left and closes every connection.
    /// </summary>
    /// <param name="cancellationToken">Cuts the drain short.</param>
    /// <returns>Completes when everything is closed.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        if (Endpoint is not null) TarsLog.Stopping(Logger, Endpoint.ToString(), InFlight);
        _listener?.Dispose();
        if (_udp is not null) await _udp.StopReceivingAsync().ConfigureAwait(false);
        await Task.WhenAll(_connections.Keys.Select(c => c.StopReadingAsync())).ConfigureAwait(false);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        drain.CancelAfter(Options.DrainTimeout);
        if (InFlight == 0) _drained.TrySetResult();
        try
        {
            await _drained.Task.WaitAsync(drain.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        // Replies handed to a connection leave in batches: let the last ones reach the socket before closing it.
        try
        {
            await Task.WhenAll(_connections.Keys.Select(c => c.FlushAsync())).WaitAsync(drain.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        foreach (var c in _connections.Keys) c.Close();
        foreach (var c in _connections.Keys) await c.Closed.ConfigureAwait(false);
        if (_acceptLoop is not null) await _acceptLoop.ConfigureAwait(false);
        if (_idleLoop is not null) await _idleLoop.ConfigureAwait(false);
        if (_udp is not null) await _udp.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>).</summary>
    /// <returns>Completes when everything is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stopping.Dispose();
    }
}
