using System.Net.Quic;
using System.Runtime.Versioning;

namespace Meshwork.Gossip.Security;

/// <summary>
/// QUIC instead of TCP for every gossip stream between Meshwork nodes; set it as <see cref="MemberlistOptions.StreamQuic"/>.
/// QUIC always runs TLS 1.3, so <see cref="Tls"/> supplies the certificate, trust and peer checks exactly as for
/// TCP stream TLS. UDP gossip packets are unchanged (and still encrypted by the keyring).
/// </summary>
/// <remarks>
/// Needs libmsquic (<see cref="IsSupported"/>); without it a node with this option refuses to start with
/// <see cref="PlatformNotSupportedException"/>. Not tested on the machine this was written on, which has no libmsquic:
/// its test is skipped there. Like stream TLS, a QUIC node streams only with QUIC peers of the same
/// <see cref="PortOffset"/>; serf agents cannot join it.
/// </remarks>
public sealed class QuicStreamOptions
{
    /// <summary>Certificate, trusted authorities, peer checks and handshake timeout (required: QUIC is always TLS).</summary>
    public StreamTlsOptions Tls { get; set; } = new();

    /// <summary>
    /// QUIC listens on UDP port = gossip port + this offset, because the gossip UDP socket already owns the gossip port
    /// and msquic needs a socket of its own. Default 1. Every node of the cluster must use the same offset, since peers
    /// are dialled at their gossip port plus it. 1 to 1000.
    /// </summary>
    public int PortOffset { get; set; } = 1;

    /// <summary>
    /// A QUIC connection with no traffic for this long is closed. Default 30 s: each connection carries one
    /// push/pull or TCP-ping exchange and is closed by the dialler right after, so this only bounds peers that vanish.
    /// 1 s to 10 minutes.
    /// </summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Whether QUIC can run here (libmsquic is present and the OS supports it).</summary>
    [SupportedOSPlatformGuard("linux")]
    [SupportedOSPlatformGuard("windows")]
    [SupportedOSPlatformGuard("osx")]
    public static bool IsSupported => QuicListener.IsSupported && QuicConnection.IsSupported;

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Tls);
        Tls.Validate();
        if (PortOffset is < 1 or > 1000) { throw new ArgumentException($"StreamQuic.PortOffset must be 1..1000 (got {PortOffset})", nameof(PortOffset)); }
        if (IdleTimeout < TimeSpan.FromSeconds(1) || IdleTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"StreamQuic.IdleTimeout must be between 1 s and 10 minutes (got {IdleTimeout})", nameof(IdleTimeout));
        }
    }
}
