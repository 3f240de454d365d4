using System.Buffers;
using System.Threading.Tasks.Sources;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Client;

/// <summary>A pooled unary call that is its own <see cref="IValueTaskSource{T}"/>: a call allocates nothing but its reply.</summary>
internal sealed class UnaryCall<TResponse> : ClientCall, IValueTaskSource<TResponse>
{
    private static readonly ObjectPool<UnaryCall<TResponse>> s_pool = new(256);

    private ManualResetValueTaskSourceCore<TResponse> _core = new() { RunContinuationsAsynchronously = true };
    private MessageType<TResponse>? _type;

    public static UnaryCall<TResponse> Rent(ClientConnection connection, string fullName, MessageType<TResponse> type,
        long startMicros, long deadlineMicros)
    {
        var call = s_pool.TryRent() ?? new UnaryCall<TResponse>();
        call.Connection = connection;
        call.FullName = fullName;
        call._type = type;
        call.StartMicros = startMicros;
        call.DeadlineMicros = deadlineMicros;
        return call;
    }

    public ValueTask<TResponse> Task => new(this, _core.Version);

    public override void OnResponse(ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        var connection = Connection!;
        if (header.Status != StatusCode.OK)
        {
            _core.SetException(StatusError(ref header, FullName, connection.Peer));
            return;
        }
        TResponse value;
        try
        {
            value = MessageCodec.Decode(header, body, _type!, connection.Shared.Serializers, connection.Shared.Compression, connection.Limits.MaxMessageSize);
        }
        catch (Exception ex)
        {
            // Whatever the decoder throws, the caller must hear about it: the call is already out of the table.
            _core.SetException(ex as RpcException ?? new RpcException(StatusCode.Internal, $"cannot decode the reply of {FullName}: {ex.Message}", ex));
            return;
        }
        _core.SetResult(value);
    }

    public override void OnFailed(RpcException error) => _core.SetException(error);

    public TResponse GetResult(short token)
    {
        // Blocking on an unfinished pooled call must not recycle it while it is still in flight.
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
        {
            throw new InvalidOperationException("the call has not completed; await it rather than blocking on it");
        }
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            Recycle();
        }
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <summary>Returns a call that was never registered or sent.</summary>
    public void ReturnUnused() => Recycle();

    private void Recycle()
    {
        DisposeCancellation();
        _core.Reset();
        Connection = null;
        _type = null;
        SentMicros = 0;
        s_pool.Return(this);
    }
}
