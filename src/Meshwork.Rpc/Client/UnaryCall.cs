using System.Buffers;
using System.Threading.Tasks.Sources;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Client;

/// <summary>
/// A pooled unary call that is its own <see cref="IValueTaskSource{T}"/>: a call allocates nothing but its reply.
/// Whoever fails the call only records the outcome and queues the call on the channel's <see cref="RunQueue"/>; the
/// caller's continuation then runs there, inline, so the replies of one read cost one or two thread-pool work items
/// instead of one each. A reply completes the call on the read loop itself while continuations are quick (see
/// <see cref="DispatchMode"/> and <see cref="ClientConnection.CompleteFromReadLoop"/>).
/// </summary>
internal sealed class UnaryCall<TResponse> : ClientCall, IValueTaskSource<TResponse>, IThreadPoolWorkItem
{
    private static readonly ObjectPool<UnaryCall<TResponse>> s_pool = new(1024, threadSlot: true);

    // Continuations run synchronously inside Execute, which is always a RunQueue drainer or the read loop (through
    // FrameConnection.TryRunInline, which hands the loop on if a continuation blocks): never the sweeper's timer or a
    // thread that cancelled a token.
    private ManualResetValueTaskSourceCore<TResponse> _core = new() { RunContinuationsAsynchronously = false };
    private MessageType<TResponse>? _type;
    private TResponse _value = default!;
    private Exception? _error;

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
            Finish(connection, default!, StatusError(ref header, FullName, connection.Peer));
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
            Finish(connection, default!, ex as RpcException ?? new RpcException(StatusCode.Internal, $"cannot decode the reply of {FullName}: {ex.Message}", ex));
            return;
        }
        MessageSizes.Report(MessageFlow.ClientResponse, FullName, body.Length);
        _value = value;
        _error = null;
        // On the read loop: the caller's continuation runs here while continuations are quick (see DispatchMode).
        connection.CompleteFromReadLoop(this);
    }

    public override void OnFailed(RpcException error) => Finish(Connection!, default!, error);

    private void Finish(ClientConnection connection, TResponse value, Exception? error)
    {
        _value = value;
        _error = error;
        connection.Shared.Completions.Enqueue(this);
    }

    /// <summary>Runs on a <see cref="RunQueue"/> drainer: completes the call, running the caller's continuation here.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        var value = _value;
        var error = _error;
        _value = default!;
        _error = null;
        // Nothing of this object may be touched after completing: the continuation can recycle and reuse it at once.
        if (error is null) _core.SetResult(value);
        else _core.SetException(error);
    }

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
