using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>Log messages of the udp and ssl transports (event ids 13050-13059, stable).</summary>
internal static partial class TarsLog
{
    [LoggerMessage(EventId = 13050, Level = LogLevel.Warning, Message = "TLS handshake with TARS client {Peer} failed: {Error} ({Suppressed} similar suppressed); connection closed")]
    public static partial void TlsHandshakeFailed(ILogger logger, string peer, string error, long suppressed);

    [LoggerMessage(EventId = 13051, Level = LogLevel.Warning, Message = "Malformed TARS datagram from {Peer}: {Reason} ({Suppressed} similar suppressed); dropped")]
    public static partial void MalformedDatagram(ILogger logger, string peer, string reason, long suppressed);

    [LoggerMessage(EventId = 13052, Level = LogLevel.Warning, Message = "TARS reply datagram to {Peer} not sent: {Error} ({Suppressed} similar suppressed)")]
    public static partial void DatagramSendFailed(ILogger logger, string peer, string error, long suppressed);

    [LoggerMessage(EventId = 13053, Level = LogLevel.Warning, Message = "TARS datagram from new peer {Peer} dropped: {Open} peers and connections open (MaxConnections) ({Suppressed} similar suppressed)")]
    public static partial void DatagramPeerRefused(ILogger logger, string peer, int open, long suppressed);
}
