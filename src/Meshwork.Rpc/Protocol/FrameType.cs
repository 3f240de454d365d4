namespace Meshwork.Rpc.Protocol;

/// <summary>What a frame carries. Stored in the low nibble of prefix byte 3; values are wire constants.</summary>
internal enum FrameType : byte
{
    /// <summary>Opens a call: unary request, or the start of a streaming call.</summary>
    Request = 1,
    /// <summary>Ends a call from the server side: status, trailers and (for unary and client-streaming) the reply body.</summary>
    Response = 2,
    /// <summary>A request that expects no response at all.</summary>
    OneWay = 3,
    /// <summary>Liveness probe; the peer echoes it with <see cref="FrameFlags.Ack"/> set, bypassing middleware.</summary>
    Heartbeat = 4,
    /// <summary>The client abandons a call; the server cancels the handler's token.</summary>
    Cancel = 5,
    /// <summary>One message of a stream (either direction).</summary>
    StreamData = 6,
    /// <summary>The client finished sending its stream (half-close).</summary>
    StreamEnd = 7,
    /// <summary>
    /// The sender will accept no new calls on this connection. From a shutting-down server the header's request id is
    /// the highest id it ran: a call above it was never run there. An idle go-away carries <see cref="ulong.MaxValue"/>
    /// (every request that crosses it is still served, so it bounds nothing).
    /// </summary>
    GoAway = 8,
    /// <summary>Connection-level protocol error; the sender closes the connection after it.</summary>
    Error = 9,
    /// <summary>Grants the peer more stream credits (header key 10) for one stream.</summary>
    WindowUpdate = 10,
}

/// <summary>Per-frame flags, stored in the high nibble of prefix byte 3.</summary>
[Flags]
internal enum FrameFlags : byte
{
    None = 0,
    /// <summary>This frame answers an earlier frame of the same type (heartbeat replies).</summary>
    Ack = 0x1,
    /// <summary>
    /// On a response: the server refused the call before any of its code ran (shutting down, overloaded, unknown
    /// method), so running it again elsewhere cannot run it twice.
    /// </summary>
    Refused = 0x2,
}
