using System.Net;
using System.Threading.Channels;

namespace Meshwork.Gossip.Transport;

/// <summary>A received datagram.</summary>
/// <param name="From">Sender address.</param>
/// <param name="Data">The datagram as received.</param>
public readonly record struct Packet(IPEndPoint From, byte[] Data);

/// <summary>An accepted stream connection and the remote address.</summary>
/// <param name="Remote">Peer address, if the transport knows it.</param>
/// <param name="Stream">The connection; the receiver disposes it.</param>
public readonly record struct IncomingStream(IPEndPoint? Remote, Stream Stream);

/// <summary>
/// Packet + stream transport under the member list. The default is UDP + TCP on one port
/// (<see cref="UdpTcpTransport"/>); <see cref="InMemoryNetwork"/> provides one for tests.
/// </summary>
public interface ITransport : IAsyncDisposable
{
    /// <summary>The bound address (port resolved if 0 was asked for).</summary>
    IPEndPoint LocalEndPoint { get; }

    /// <summary>Sends one datagram, best effort, without blocking.</summary>
    void SendPacket(IPEndPoint to, byte[] datagram);

    /// <summary>Datagrams received.</summary>
    ChannelReader<Packet> Packets { get; }

    /// <summary>Opens a stream to a peer.</summary>
    Task<Stream> DialAsync(IPEndPoint to, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Streams accepted from peers.</summary>
    ChannelReader<IncomingStream> Streams { get; }
}
