namespace Meshwork.Gossip.Diagnostics;

/// <summary>
/// Running totals of the failure detector and the packet layer of one node, since it started. Written by the
/// node's state machine, readable from any thread without locking; export them as monotonic counters.
/// </summary>
public sealed class GossipStatistics
{
    internal long ProbesValue;
    internal long ProbesFailedValue;
    internal long SuspicionsValue;
    internal long RefutationsValue;
    internal long PacketsReceivedValue;
    internal long BytesReceivedValue;
    internal long PacketsSentValue;
    internal long BytesSentValue;

    /// <summary>Direct probes (pings) sent to other members.</summary>
    public long Probes => Interlocked.Read(ref ProbesValue);

    /// <summary>Probes that got no ack in time, directly or indirectly; each one makes the target suspect.</summary>
    public long ProbesFailed => Interlocked.Read(ref ProbesFailedValue);

    /// <summary>Members this node started to suspect (from its own probes or from gossip).</summary>
    public long Suspicions => Interlocked.Read(ref SuspicionsValue);

    /// <summary>Times this node refuted a suspect or dead accusation about itself.</summary>
    public long Refutations => Interlocked.Read(ref RefutationsValue);

    /// <summary>UDP packets received (before decryption and validation).</summary>
    public long PacketsReceived => Interlocked.Read(ref PacketsReceivedValue);

    /// <summary>Bytes of the UDP packets received.</summary>
    public long BytesReceived => Interlocked.Read(ref BytesReceivedValue);

    /// <summary>UDP packets sent.</summary>
    public long PacketsSent => Interlocked.Read(ref PacketsSentValue);

    /// <summary>Bytes of the UDP packets sent (after compression and encryption).</summary>
    public long BytesSent => Interlocked.Read(ref BytesSentValue);

    /// <summary>Handshakes of the stream TLS layer (all zero while <see cref="MemberlistOptions.StreamTls"/> is off).</summary>
    public Security.StreamTlsStatistics StreamTls { get; } = new();
}
