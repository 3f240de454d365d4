using Meshwork.Rpc.Diagnostics;

namespace Meshwork.Rpc.Protocol;

/// <summary>
/// The peer broke Meshwork protocol v1 (bad magic or version, oversized frame, garbled header).
/// The connection that saw it sends an error frame where it can and closes; other connections are unaffected.
/// </summary>
internal sealed class ProtocolException : Exception
{
    public ProtocolException(string message, StatusCode status = StatusCode.Internal, ProtocolErrorKind kind = ProtocolErrorKind.MalformedHeader)
        : base(message)
    {
        Status = status;
        Kind = kind;
    }

    /// <summary>What the peer got wrong, for counting and rate-limited logging. Header decoding errors are <see cref="ProtocolErrorKind.MalformedHeader"/>.</summary>
    public ProtocolErrorKind Kind { get; }

    /// <summary>Status reported to the peer in the error frame.</summary>
    public StatusCode Status { get; }
}
