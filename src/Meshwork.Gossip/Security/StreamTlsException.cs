using System.Net;

namespace Meshwork.Gossip.Security;

/// <summary>
/// A gossip stream to <see cref="Peer"/> could not be secured with TLS: the peer does not speak stream TLS (a serf
/// agent or a Meshwork node without <see cref="MemberlistOptions.StreamTls"/>), its certificate is not trusted, it
/// refused ours, or the handshake timed out. The message says which.
/// </summary>
public sealed class StreamTlsException : IOException
{
    /// <summary>Creates the error for <paramref name="peer"/>.</summary>
    public StreamTlsException(IPEndPoint peer, string reason, Exception? inner = null)
        : base($"TLS handshake with gossip peer {peer} failed: {reason}", inner)
    {
        Peer = peer;
        Reason = reason;
    }

    /// <summary>The peer dialled.</summary>
    public IPEndPoint Peer { get; }

    /// <summary>Why the handshake failed, without the peer address.</summary>
    public string Reason { get; }
}
