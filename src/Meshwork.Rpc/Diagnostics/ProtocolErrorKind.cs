namespace Meshwork.Rpc.Diagnostics;

/// <summary>
/// What a peer got wrong when it broke protocol v1. Every protocol error is counted under one kind (see
/// <see cref="ProtocolErrorCounters"/>) and logged at most once per source and kind per interval.
/// </summary>
public enum ProtocolErrorKind
{
    /// <summary>The first two bytes of a frame were not the magic <c>MW</c>: not a Meshwork peer (HTTP, TLS to a plaintext port, noise).</summary>
    BadMagic,

    /// <summary>The frame's version byte is not one this peer speaks.</summary>
    UnsupportedVersion,

    /// <summary>The frame type nibble is not a known frame type.</summary>
    UnknownFrameType,

    /// <summary>The frame is larger than the receiver's <c>MaxFrameSize</c>, or its header larger than the header limit.</summary>
    FrameTooLarge,

    /// <summary>The length fields contradict each other (header length larger than the frame).</summary>
    InvalidLength,

    /// <summary>The MessagePack header could not be decoded (wrong types, invalid UTF-8, trailing bytes, too deep).</summary>
    MalformedHeader,

    /// <summary>The peer closed the connection in the middle of a frame.</summary>
    TruncatedFrame,

    /// <summary>A frame type that the receiving side never expects from this peer (for example a go-away sent by a client).</summary>
    UnexpectedFrame,

    /// <summary>A request frame without a request id or without service and method names.</summary>
    InvalidRequest,

    /// <summary>A request reused the id of a call still in flight on the same connection.</summary>
    DuplicateRequestId,

    /// <summary>A stream rule was broken: data beyond the granted window, or stream data for a call that takes none.
    /// The call fails; the connection stays open.</summary>
    StreamRuleViolation,

    /// <summary>The TLS handshake failed (wrong certificate, plaintext sent to a TLS port, timeout).</summary>
    TlsHandshakeFailed,
}
