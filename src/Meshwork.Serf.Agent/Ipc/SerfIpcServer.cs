using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Meshwork.Serf.Agent.Ipc;

/// <summary>
/// The agent's client RPC listener: serf's IPC protocol version 1 (msgpack over TCP), so that the <c>serf</c> CLI and
/// serf's client libraries drive a Meshwork agent as they drive serf. At most
/// <see cref="SerfAgentOptions.MaxRpcClients"/> connections; a client that sends something that is not the protocol
/// is counted in <see cref="MalformedRequests"/>, logged without a stack trace, and disconnected.
/// </summary>
public sealed class SerfIpcServer : IAsyncDisposable
{
    private readonly SerfAgent _agent;
    private readonly ILogger _logger;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private readonly HashSet<IpcSession> _sessions = [];
    private Task _acceptLoop = Task.CompletedTask;
    private long _malformed;
    private long _refused;

    internal SerfIpcServer(SerfAgent agent, IPEndPoint endPoint, ILogger logger)
    {
        _agent = agent;
        _logger = logger;
        _listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.Bind(endPoint);
        _listener.Listen(64);
        EndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    /// <summary>The address clients connect to.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>Connections closed because their input was not the protocol.</summary>
    public long MalformedRequests => Interlocked.Read(ref _malformed);

    /// <summary>Connections refused because <see cref="SerfAgentOptions.MaxRpcClients"/> were connected.</summary>
    public long RefusedConnections => Interlocked.Read(ref _refused);

    /// <summary>Clients connected now.</summary>
    public int Clients
    {
        get { lock (_gate) return _sessions.Count; }
    }

    internal SerfAgent Agent => _agent;

    internal ILogger Logger => _logger;

    internal void Start() => _acceptLoop = AcceptAsync(_stop.Token);

    internal void CountMalformed() => Interlocked.Increment(ref _malformed);

    private async Task AcceptAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (ct.IsCancellationRequested) return;
                continue;
            }
            socket.NoDelay = true;
            string remote = socket.RemoteEndPoint?.ToString() ?? "?";
            IpcSession session;
            lock (_gate)
            {
                if (_sessions.Count >= _agent.Options.MaxRpcClients)
                {
                    Interlocked.Increment(ref _refused);
                    AgentLog.IpcTooManyClients(_logger, remote, _agent.Options.MaxRpcClients);
                    socket.Dispose();
                    continue;
                }
                session = new IpcSession(this, socket, remote);
                _sessions.Add(session);
            }
            AgentLog.IpcAccepted(_logger, remote);
            _ = RunSessionAsync(session, ct);
        }
    }

    private async Task RunSessionAsync(IpcSession session, CancellationToken ct)
    {
        try
        {
            await session.RunAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate) _sessions.Remove(session);
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops accepting and closes every client connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        IpcSession[] sessions;
        lock (_gate) sessions = [.. _sessions];
        foreach (var s in sessions) s.Abort();
        await _acceptLoop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
