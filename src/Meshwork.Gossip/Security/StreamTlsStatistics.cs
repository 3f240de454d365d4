namespace Meshwork.Gossip.Security;

/// <summary>
/// Running totals of the stream TLS layer of one node (<see cref="Diagnostics.GossipStatistics.StreamTls"/>); all zero
/// while <see cref="MemberlistOptions.StreamTls"/> is off. Readable from any thread; export them as monotonic counters.
/// </summary>
public sealed class StreamTlsStatistics
{
    internal long AcceptedValue;
    internal long DialedValue;
    internal long FailedValue;
    internal long PlainRefusedValue;
    internal long PlainAcceptedValue;
    internal long ShedValue;

    /// <summary>Incoming streams whose TLS handshake completed (the peer's certificate was trusted).</summary>
    public long HandshakesAccepted => Interlocked.Read(ref AcceptedValue);

    /// <summary>Outgoing streams whose TLS handshake completed.</summary>
    public long HandshakesDialed => Interlocked.Read(ref DialedValue);

    /// <summary>
    /// Handshakes that failed in either direction: an untrusted or missing certificate, a peer that does not speak
    /// TLS, or the handshake timeout. Each one is also reported as malformed input of kind
    /// <see cref="Diagnostics.MalformedInputKinds.StreamTls"/> (rate-limited log line with the reason).
    /// </summary>
    public long HandshakesFailed => Interlocked.Read(ref FailedValue);

    /// <summary>Incoming plain (non-TLS) streams refused: a serf agent or a Meshwork node without stream TLS.</summary>
    public long PlainStreamsRefused => Interlocked.Read(ref PlainRefusedValue);

    /// <summary>Incoming plain streams served because <see cref="StreamTlsOptions.AcceptPlainStreams"/> is set.</summary>
    public long PlainStreamsAccepted => Interlocked.Read(ref PlainAcceptedValue);

    /// <summary>Incoming connections closed unanswered because <see cref="StreamTlsOptions.MaxPendingHandshakes"/> handshakes were running.</summary>
    public long HandshakesShed => Interlocked.Read(ref ShedValue);
}
