using System.Buffers;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Client;

/// <summary>
/// A call in flight on a <see cref="ClientConnection"/>. Ownership rule: whoever removes the call from the
/// connection's table (response, deadline sweep, cancellation, connection loss) completes it, exactly once.
/// </summary>
internal abstract class ClientCall : ISendOwner
{
    internal ulong Id;
    private int _ended; // 1 once removed from the table; reset when registered again (pooled calls are reused)
    internal ClientConnection? Connection;
    internal string FullName = "";
    /// <summary>Absolute deadline on <see cref="Clock"/>; 0 = none.</summary>
    internal long DeadlineMicros;
    internal long StartMicros;
    internal long SentMicros;
    private CancellationTokenRegistration _cancellation;

    /// <summary>Called by the connection under its table lock when the call is added with a fresh <see cref="Id"/>.</summary>
    internal void MarkRegistered() => Volatile.Write(ref _ended, 0);

    /// <summary>Called by the connection under its table lock when the call leaves the table, before any cancel is queued.</summary>
    internal void MarkEnded() => Volatile.Write(ref _ended, 1);

    /// <summary>Asked under the connection's write lock just before this call's request is appended: false when the
    /// call ended meanwhile, or when this pooled object already serves another call (on this or another connection:
    /// ids are counted per connection).</summary>
    bool ISendOwner.ConfirmSend(FrameConnection connection, ulong id)
    {
        if (((ISendOwner)this).HasEnded(connection, id)) return false;
        // Only a deadline's error message uses it (how long the call waited before and after sending). Set before the
        // append: once the frame is queued the reply may complete (and recycle) the call at any moment.
        if (DeadlineMicros != 0) SentMicros = Clock.NowMicros;
        return true;
    }

    /// <summary>
    /// True when the call <paramref name="id"/> on <paramref name="connection"/> is over, or this object serves another
    /// call now. The end mark is read first: a reuse sets the new id and connection before clearing it, so a cleared
    /// mark read first means the id and connection read after belong to the call that cleared it.
    /// </summary>
    bool ISendOwner.HasEnded(FrameConnection connection, ulong id) =>
        Volatile.Read(ref _ended) != 0 || Volatile.Read(ref Id) != id || !ReferenceEquals(Volatile.Read(ref Connection), connection);

    /// <summary>The final frame of the call arrived; the call was already removed from the table.</summary>
    public abstract void OnResponse(ref FrameHeader header, in ReadOnlySequence<byte> body);

    /// <summary>Completes the call with an error; the call was already removed from the table.</summary>
    public abstract void OnFailed(RpcException error);

    public virtual void OnStreamData(ref FrameHeader header, in ReadOnlySequence<byte> body) =>
        AbandonForStreamRules(new RpcException(StatusCode.Internal, $"server sent stream data for non-streaming call {FullName}"));

    /// <summary>The server broke a stream rule: count and log it (rate-limited) like any protocol error, then fail the call.</summary>
    protected void AbandonForStreamRules(RpcException error)
    {
        if (Connection is { } connection)
        {
            connection.Shared.ProtocolMonitor.Report(connection.Peer, connection.Peer, Diagnostics.ProtocolErrorKind.StreamRuleViolation, error.Message);
        }
        Abandon(error);
    }

    public virtual void OnWindowUpdate(uint credits)
    {
    }

    /// <summary>Ends the call from the client side: removes it, tells the server to stop, fails it locally.</summary>
    public void Abandon(RpcException error)
    {
        var connection = Connection;
        if (connection is not null && connection.TryRemove(this))
        {
            connection.SendCancel(Id);
            OnFailed(error);
        }
    }

    /// <summary>
    /// Watches the caller's token. Called only after the call is registered and its request written, so a token that is
    /// already cancelled abandons a call the server knows about (cancel after request, never before).
    /// </summary>
    public void WatchCancellation(CancellationToken token)
    {
        if (token.CanBeCanceled)
        {
            _cancellation = token.UnsafeRegister(static s =>
            {
                var call = (ClientCall)s!;
                call.Abandon(new RpcException(StatusCode.Cancelled, $"call {call.FullName} to {call.Connection?.Peer} was cancelled by the caller"));
            }, this);
        }
    }

    protected void DisposeCancellation()
    {
        _cancellation.Dispose();
        _cancellation = default;
    }

    /// <summary>Explains a missed deadline: how the budget was spent and on which hop.</summary>
    /// <remarks>
    /// <paramref name="nowMicros"/> is the deadline sweep's clock reading, taken once for all connections before it walks
    /// their tables, so a call can have been sent after it: measured from that reading the wait would be negative. The
    /// end of the wait is therefore never taken earlier than the send, and a request that was queued only after its
    /// deadline had passed is said to have spent its whole budget in the client.
    /// </remarks>
    internal RpcException DeadlineError(long nowMicros)
    {
        long sent = SentMicros;
        long end = Math.Max(nowMicros, Math.Max(StartMicros, sent));
        double budget = (DeadlineMicros - StartMicros) / 1000.0;
        double queued = ((sent == 0 ? end : Math.Max(sent, StartMicros)) - StartMicros) / 1000.0;
        double waited = sent == 0 ? 0 : (end - sent) / 1000.0;
        string late = sent != 0 && sent >= DeadlineMicros ? " (the deadline had already passed when the request was queued for sending)" : "";
        return new RpcException(StatusCode.DeadlineExceeded,
            $"deadline of {budget:0.#} ms exceeded for {FullName}: {queued:0.#} ms spent in the client before sending, " +
            $"{waited:0.#} ms waiting for {Connection?.Peer} (network and server) with no response{late}");
    }

    internal static RpcException StatusError(ref FrameHeader header, string fullName, string peer) =>
        new(header.Status, header.StatusMessage ?? $"{fullName} failed on {peer} with {header.Status}", header.Metadata)
        {
            NotExecuted = (header.Flags & FrameFlags.Refused) != 0,
        };
}
