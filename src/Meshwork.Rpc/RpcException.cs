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

    /// <summary>The status code of the failed call.</summary>
    public StatusCode Status { get; }

    /// <summary>Metadata the server returned with the failure, if any.</summary>
    public Metadata? Trailers { get; }

    /// <summary>Status and message, without a stack trace (a failed call is an expected outcome, not a crash).</summary>
    public override string ToString() => $"RpcException({Status}): {Message}";
}
