namespace Meshwork.Rpc;

/// <summary>
/// The single exception type callers see for a failed call. <see cref="Status"/> says what kind of failure,
/// <see cref="Exception.Message"/> explains it (which hop, which limit), <see cref="Trailers"/> carries any metadata the server sent.
/// </summary>
public sealed class RpcException : Exception
{
    /// <summary>A failure with <paramref name="status"/>, an explanation, and optionally the exception that caused it.</summary>
    public RpcException(StatusCode status, string message, Exception? inner = null)
        : base(message, inner)
    {
        Status = status;
    }

    /// <summary>A failure with <paramref name="status"/>, an explanation and the trailers to return to the caller.</summary>
    public RpcException(StatusCode status, string message, Metadata? trailers)
        : base(message)
    {
        Status = status;
        Trailers = trailers;
    }

    private RpcException(RpcException original)
        : base(original.Message, original.InnerException)
    {
        Status = original.Status;
        Trailers = original.Trailers;
        NotExecuted = true;
    }

    /// <summary>This failure, marked as one of a call that never reached the server (see <see cref="NotExecuted"/>).</summary>
    internal RpcException AsNotExecuted() => NotExecuted ? this : new RpcException(this);

    /// <summary>The status code of the failed call.</summary>
    public StatusCode Status { get; }

    /// <summary>Metadata the server returned with the failure, if any.</summary>
    public Metadata? Trailers { get; }

    /// <summary>
    /// True when the server is known not to have run any of the call's code: it refused the call (shutting down,
    /// overloaded), or the call was still unread when a shutting-down server closed the connection after its go-away.
    /// Such a call can be sent again elsewhere without running twice, so governance retries it even when the method
    /// is not idempotent. False means "not known", not "it ran".
    /// </summary>
    public bool NotExecuted { get; init; }

    /// <summary>Status and message, without a stack trace (a failed call is an expected outcome, not a crash).</summary>
    public override string ToString() => $"RpcException({Status}): {Message}";
}
