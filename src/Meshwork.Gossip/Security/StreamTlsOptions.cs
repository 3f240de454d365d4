using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Gossip.Security;

/// <summary>
/// TLS for every gossip stream (push/pull, TCP ping, reliable user message) between Meshwork nodes; set it as
/// <see cref="MemberlistOptions.StreamTls"/>. UDP packets are not affected: the keyring (<see cref="MemberlistOptions.Keyring"/>)
/// still encrypts them, and with a keyring the stream content is also keyring-encrypted inside TLS.
/// </summary>
/// <remarks>
/// Serf agents and Meshwork nodes without stream TLS do not speak it. A node with stream TLS can only exchange streams
/// with peers that also have it: its own dials to a plain peer fail with <see cref="StreamTlsException"/>, and a plain
/// stream from such a peer is answered with a memberlist error ("this node requires TLS on gossip streams") and closed,
/// unless <see cref="AcceptPlainStreams"/> is set. Both are counted (<see cref="StreamTlsStatistics"/>) and logged
/// rate-limited as malformed input of kind <see cref="Diagnostics.MalformedInputKinds.StreamTls"/>.
/// Every node presents <see cref="Certificate"/> both as server and as client (mutual TLS), so it must allow server and
/// client authentication (no extended key usage, or both).
/// </remarks>
public sealed class StreamTlsOptions
{
    /// <summary>
    /// This node's certificate with its private key, presented to every peer. Required. Default null (stream TLS
    /// cannot be on without one).
    /// </summary>
    public X509Certificate2? Certificate { get; set; }

    /// <summary>
    /// Certificate authorities a peer's certificate must chain to (the cluster's own CA, typically). Default empty:
    /// the operating system's trust store is used instead, which suits certificates from a public or enterprise CA.
    /// </summary>
    public X509Certificate2Collection TrustedAuthorities { get; set; } = [];

    /// <summary>
    /// Whether an accepting node demands a certificate from the dialling peer. Default true: gossip streams carry the
    /// whole membership state, and without client certificates anyone able to connect could push state into the
    /// cluster. Set false only when another layer authenticates peers (the keyring, for example).
    /// </summary>
    public bool RequirePeerCertificate { get; set; } = true;

    /// <summary>
    /// A DNS name every peer certificate must be valid for (also sent as the TLS server name). Default null: names are
    /// not checked, because peers are dialled by the IP address gossip announces, so there is no per-node host name to
    /// compare with; trust comes from <see cref="TrustedAuthorities"/>. Give every node a certificate for one
    /// cluster-wide name (for example <c>gossip.prod.example</c>) and set it here to also bind trust to that name.
    /// </summary>
    public string? PeerName { get; set; }

    /// <summary>
    /// An extra check on the peer's certificate after the chain and name checks passed (pinning, a subject rule);
    /// return false to refuse the peer. Default null: no extra check.
    /// </summary>
    public Func<X509Certificate2, bool>? PeerCertificateFilter { get; set; }

    /// <summary>
    /// Longest a TLS handshake may take, in either direction. Default 5 s: a handshake is one or two round trips plus
    /// signature checks (milliseconds on a LAN), and the bound keeps a peer that connects and stalls from holding an
    /// accept slot; a dial is additionally bounded by <see cref="MemberlistOptions.TcpTimeout"/>. 1 ms to 5 minutes.
    /// </summary>
    public TimeSpan HandshakeTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Incoming handshakes running at once; a connection beyond this is closed at once and counted
    /// (<see cref="StreamTlsStatistics.HandshakesShed"/>). Default 64: push/pull runs with one random peer every
    /// interval, so even a large cluster has a handful at a time, while a connection flood cannot make the node run
    /// unbounded handshakes. At least 1.
    /// </summary>
    public int MaxPendingHandshakes { get; set; } = 64;

    /// <summary>
    /// Serve incoming streams that do not start with a TLS handshake as plain memberlist streams (counted in
    /// <see cref="StreamTlsStatistics.PlainStreamsAccepted"/>). Default false: a TLS node refuses plain streams. Set it
    /// while enabling TLS across a running cluster, one node at a time: plain nodes can still push/pull into this one
    /// (its own dials always use TLS). Detecting a plain stream needs a socket transport (<see cref="Transport.UdpTcpTransport"/>);
    /// on other transports every incoming stream is treated as TLS.
    /// </summary>
    public bool AcceptPlainStreams { get; set; }

    /// <summary>TLS versions allowed. Default <see cref="SslProtocols.None"/>: the operating system's choice (TLS 1.2 and 1.3 today).</summary>
    public SslProtocols EnabledProtocols { get; set; } = SslProtocols.None;

    /// <summary>
    /// Revocation checking of peer certificates. Default <see cref="X509RevocationMode.NoCheck"/>: private cluster CAs
    /// rarely publish revocation lists, and an online check would make every gossip stream depend on a remote server.
    /// Rotate the CA or use <see cref="PeerCertificateFilter"/> to exclude a node instead.
    /// </summary>
    public X509RevocationMode RevocationMode { get; set; } = X509RevocationMode.NoCheck;

    /// <summary>Longest <see cref="HandshakeTimeout"/> accepted (5 minutes).</summary>
    public static TimeSpan MaxHandshakeTimeout { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the setting.</summary>
    public void Validate()
    {
        if (Certificate is null) { throw new ArgumentException("StreamTls.Certificate is required (this node's certificate with its private key)", nameof(Certificate)); }
        if (!Certificate.HasPrivateKey)
        {
            throw new ArgumentException($"StreamTls.Certificate ({Certificate.Subject}) has no private key", nameof(Certificate));
        }
        if (HandshakeTimeout < TimeSpan.FromMilliseconds(1) || HandshakeTimeout > MaxHandshakeTimeout)
        {
            throw new ArgumentException($"StreamTls.HandshakeTimeout must be between 1 ms and 5 minutes (got {HandshakeTimeout})", nameof(HandshakeTimeout));
        }
        if (MaxPendingHandshakes < 1)
        {
            throw new ArgumentException($"StreamTls.MaxPendingHandshakes must be at least 1 (got {MaxPendingHandshakes})", nameof(MaxPendingHandshakes));
        }
        ArgumentNullException.ThrowIfNull(TrustedAuthorities);
        if (PeerName is { Length: 0 }) { throw new ArgumentException("StreamTls.PeerName must not be empty (use null to skip the name check)", nameof(PeerName)); }
    }
}
