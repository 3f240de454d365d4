using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Meshwork.Rpc;
using Meshwork.Rpc.Internal;
using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>
/// One multiplexed connection to a TARS endpoint: requests carry ids unique among the calls in flight (never 0),
/// replies are matched by id in any order, late replies are ignored, and a push with id 0 and <c>_reconnect_</c> retires
/// the connection (calls in flight finish, new calls open a new one).
/// </summary>
internal sealed class TarsClientConnection
{
    private readonly TarsEndpoint _endpoint;
    private readonly TarsClientOptions _options;
    private readonly ILogger _log;
    private readonly LogRateLimiter _malformedLog;
    private readonly Dictionary<int, TaskCompletionSource<byte[]>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private Socket? _socket;
    private NetworkStream? _stream;
    private int _nextId = 1;
    private int _state; // 0 open, 1 retiring (no new calls), 2 closed

    private TarsClientConnection(TarsEndpoint endpoint, TarsClientOptions options, ILogger log, LogRateLimiter malformedLog)
    {
        _endpoint = endpoint;
        _options = options;
        _log = log;
        _malformedLog = malformedLog;
    }

    public bool CanTakeCalls => Volatile.Read(ref _state) == 0;

    public bool IsClosed => Volatile.Read(ref _state) == 2;

    public static async Task<TarsClientConnection> ConnectAsync(TarsEndpoint endpoint, TarsClientOptions options, ILogger log,
        LogRateLimiter malformedLog, CancellationToken cancellationToken)
    {
        var connection = new TarsClientConnection(endpoint, options, log, malformedLog);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        connection._socket = socket;
        connection._stream = new NetworkStream(socket, ownsSocket: true);
        _ = connection.ReadLoopAsync();
        return connection;
    }

    /// <summary>Registers a call and returns its id and the task of its reply body; false when the in-flight limit is reached.</summary>
    public bool TryRegister(out int requestId, out TaskCompletionSource<byte[]> reply)
    {
        reply = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_pending)
        {
            if (_pending.Count >= _options.MaxInFlightPerConnection)
            {
                requestId = 0;
                return false;
            }
            do
            {
                requestId = _nextId;
                _nextId = _nextId == int.MaxValue ? 1 : _nextId + 1; // wraps past 0: id 0 marks a server push
            }
            while (_pending.ContainsKey(requestId));
            _pending[requestId] = reply;
        }
        return true;
    }

    public void Forget(int requestId)
    {
        lock (_pending) _pending.Remove(requestId);
        if (Volatile.Read(ref _state) == 1) CloseIfDrained();
    }

    public async ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _stream!.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            Close(e.Message);
            throw new RpcException(StatusCode.Unavailable, $"sending to TARS endpoint {_endpoint} failed: {e.Message}");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_stream!, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        string reason = "the server closed the connection";
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(_closing.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TarsFrame.TryReadLength(buffer, _options.MaxPacketSize, out int length) && buffer.Length >= length)
                {
                    var body = new byte[length - TarsFrame.PrefixLength];
                    buffer.Slice(TarsFrame.PrefixLength, body.Length).CopyTo(body);
                    buffer = buffer.Slice(length);
                    OnFrame(body);
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (TarsDecodeException e)
        {
            reason = "malformed reply: " + e.Message;
            if (_malformedLog.ShouldLog(_endpoint.ToString(), 1, out long suppressed)) TarsLog.MalformedReply(_log, _endpoint.ToString(), e.Message, suppressed);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            reason = e is OperationCanceledException ? "the channel closed the connection" : e.Message;
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            Close(reason);
        }
    }

    private void OnFrame(byte[] body)
    {
        // Peek the request id (tag 3 of a ResponsePacket, tag 4 of a TUP RequestPacket) to route the body; the caller decodes it.
        bool tup = TarsVersion.IsTup(_options.Version);
        var reader = new TarsReader(body, _options.MaxDepth);
        reader.ReadInt16(1, true);
        int id = tup ? reader.ReadInt32(4, true) : reader.ReadInt32(3, true);
        if (id == 0 && !tup)
        {
            var push = TarsResponsePacket.Decode(body, _options.MaxDepth);
            if (push.ResultDescription == "_reconnect_")
            {
                TarsLog.ReconnectPush(_log, _endpoint.ToString(), push.ResultDescription);
                Interlocked.CompareExchange(ref _state, 1, 0);
                CloseIfDrained();
            }
            return;
        }
        TaskCompletionSource<byte[]>? waiter;
        lock (_pending)
        {
            if (_pending.Remove(id, out waiter) is false) waiter = null;
        }
        if (waiter is null)
        {
            TarsLog.UnknownReply(_log, _endpoint.ToString(), id);
            return;
        }
        waiter.TrySetResult(body);
    }

    private void CloseIfDrained()
    {
        bool empty;
        lock (_pending) empty = _pending.Count == 0;
        if (empty) Close("retired by the server");
    }

    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2) return;
        _closing.Cancel();
        _stream?.Dispose();
        TaskCompletionSource<byte[]>[] waiters;
        lock (_pending)
        {
            waiters = [.. _pending.Values];
            _pending.Clear();
        }
        var error = TarsStatusMapping.ToRpcException(TarsReturnCode.ProxyConnectError,
            $"connection to TARS endpoint {_endpoint} lost before the reply: {reason}");
        foreach (var w in waiters) w.TrySetException(error);
    }
}
