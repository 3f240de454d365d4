using System.Net;

namespace Meshwork.Gossip;

/// <summary>What the member list state machine needs from its surroundings (real sockets or the simulator).</summary>
public interface IGossipRuntime : IGossipClock
{
    /// <summary>Source of randomness (seeded in simulation).</summary>
    Random Random { get; }

    /// <summary>Sends one finished datagram (already compressed/encrypted). Must not block.</summary>
    void SendPacket(IPEndPoint to, byte[] datagram);

    /// <summary>Starts a push/pull state exchange with <paramref name="to"/> in the background.</summary>
    void BeginPushPull(IPEndPoint to, bool join);

    /// <summary>
    /// Sends <paramref name="ping"/> (an encoded ping message) over a stream and waits for the matching ack until
    /// <paramref name="timeout"/>; reports the outcome through <paramref name="done"/> with the state lock held.
    /// </summary>
    void BeginStreamPing(IPEndPoint to, byte[] ping, uint seqNo, TimeSpan timeout, Action<bool> done);
}
