using System.Net;
using Meshwork.Gossip.Security;

namespace Meshwork.Gossip;

/// <summary>
/// Member list tuning. Defaults are the memberlist 0.2.2 LAN profile (<see cref="Lan"/>), which is what a
/// <c>serf agent</c> runs with unless told <c>-profile wan|local</c>. Use <see cref="Wan"/> or <see cref="Local"/>
/// for the other reference profiles.
/// </summary>
public sealed class MemberlistOptions
{
    /// <summary>Unique node name. Default: the machine name (like the reference, which uses the hostname).</summary>
    public string Name { get; set; } = Environment.MachineName;

    /// <summary>Address to bind UDP and TCP on. Default 0.0.0.0 as in the reference; tests should use 127.0.0.1.</summary>
    public IPAddress BindAddress { get; set; } = IPAddress.Any;

    /// <summary>Gossip port for both UDP and TCP. Default 7946 (serf's); 0 picks a free port.</summary>
    public int BindPort { get; set; } = 7946;

    /// <summary>Address announced to peers. Default null: the bind address (loopback if bound to any).</summary>
    public IPAddress? AdvertiseAddress { get; set; }

    /// <summary>Port announced to peers. Default 0: the bound port.</summary>
    public int AdvertisePort { get; set; }

    /// <summary>
    /// Timeout for TCP dials and whole push/pull exchanges. Default 10 s (LAN): generous because push/pull
    /// carries the full state; WAN uses 30 s, Local 1 s.
    /// </summary>
    public TimeSpan TcpTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Number of peers asked to probe a target indirectly after a missed ack. Default 3: enough independent
    /// paths that one lossy link cannot cause a false suspicion; Local uses 1.
    /// </summary>
    public int IndirectChecks { get; set; } = 3;

    /// <summary>
    /// Broadcast retransmit multiplier: each message is sent RetransmitMult × ceil(log10(n+1)) times. Default 4
    /// gives a high probability of full dissemination under moderate loss; Local uses 2.
    /// </summary>
    public int RetransmitMult { get; set; } = 4;

    /// <summary>
    /// Suspicion timeout multiplier: the minimum suspicion time is SuspicionMult × max(1, log10(n)) × ProbeInterval.
    /// Default 4 (LAN); WAN 6 because of higher latency variance; Local 3.
    /// </summary>
    public int SuspicionMult { get; set; } = 4;

    /// <summary>
    /// Lifeguard: the suspicion timeout starts at SuspicionMaxTimeoutMult × the minimum and shrinks with
    /// independent confirmations. Default 6. Setting 1 disables the dynamic part (timeout = minimum).
    /// </summary>
    public int SuspicionMaxTimeoutMult { get; set; } = 6;

    /// <summary>
    /// Anti-entropy period: a full state exchange with one random node. Default 30 s (LAN); scaled up once the
    /// cluster exceeds 32 nodes so TCP load stays bounded. WAN 60 s, Local 15 s.
    /// </summary>
    public TimeSpan PushPullInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time to wait for a direct ack before asking peers to probe indirectly. Default 500 ms (LAN, roughly the 99.9th percentile RTT); WAN 3 s, Local 200 ms.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Time between failure-detection probes (and the window to get any ack). Default 1 s; WAN 5 s.</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Lifeguard: the node's own health score scales its probe interval and timeouts up to this factor.
    /// Default 8. Setting 1 disables awareness.
    /// </summary>
    public int AwarenessMaxMultiplier { get; set; } = 8;

    /// <summary>Lifeguard: ask indirect probers to send nacks (only to peers speaking protocol ≥ 4). Default true.</summary>
    public bool EnableNacks { get; set; } = true;

    /// <summary>
    /// Skip the TCP ping the prober sends alongside indirect probes (to peers speaking protocol ≥ 3). Default false:
    /// the TCP ping keeps a node that is only cut off from UDP from being declared dead.
    /// </summary>
    public bool DisableTcpPings { get; set; }

    /// <summary>Number of random nodes each gossip round sends to. Default 3 (WAN 4).</summary>
    public int GossipNodes { get; set; } = 3;

    /// <summary>Time between gossip rounds. Default 200 ms (LAN); WAN 500 ms, Local 100 ms.</summary>
    public TimeSpan GossipInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Keep gossiping to dead nodes this long so that a node wrongly declared dead learns it and refutes.
    /// Also how long dead nodes stay in the list. Default 30 s (LAN); WAN 60 s, Local 15 s.
    /// </summary>
    public TimeSpan GossipToTheDeadTime { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Compress outgoing messages with LZW like the reference. Default true (agent default).</summary>
    public bool EnableCompression { get; set; } = true;

    /// <summary>Maximum datagram size we build before encryption. Default 1400 (fits a 1500 MTU).</summary>
    public int UdpBufferSize { get; set; } = 1400;

    /// <summary>Keyring for AES-GCM encryption. Default null: plaintext (the agent's default without -encrypt).</summary>
    public Keyring? Keyring { get; set; }

    /// <summary>
    /// TLS on every gossip stream (push/pull, TCP ping, reliable user message), between Meshwork nodes only. Default
    /// null: plain streams, as serf and memberlist speak them. With it set, this node can stream only with peers that
    /// also use stream TLS (see <see cref="StreamTlsOptions"/> for what happens with a plain peer); UDP is unchanged and
    /// still encrypted by <see cref="Keyring"/>.
    /// </summary>
    public StreamTlsOptions? StreamTls { get; set; }

    /// <summary>
    /// QUIC instead of TCP for every gossip stream, between Meshwork nodes only (needs libmsquic; see
    /// <see cref="QuicStreamOptions"/>). Default null: TCP streams. Cannot be combined with <see cref="StreamTls"/>
    /// (QUIC brings its own TLS, configured in <see cref="QuicStreamOptions.Tls"/>).
    /// </summary>
    public QuicStreamOptions? StreamQuic { get; set; }

    /// <summary>Protocol version vector announced in alive/push-pull: [PMin, PMax, PCur, DMin, DMax, DCur]. Default matches a serf 0.9.4 agent.</summary>
    public byte[] Vsn { get; set; } = [1, 5, 2, 2, 5, 5];

    /// <summary>
    /// Malformed input from the network is counted per kind and logged at most once per source address and kind per
    /// this interval, each line carrying how many were suppressed since the previous one. Default 10 s: a stream of
    /// garbage costs at most a few lines a minute per source, while an ongoing problem still shows up promptly.
    /// Must be positive and at most one day.
    /// </summary>
    public TimeSpan MalformedInputLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Maximum size of node meta. Fixed at 512 bytes by the reference (MetaMaxSize).</summary>
    public const int MetaMaxSize = 512;

    /// <summary>The reference LAN profile (defaults of this class).</summary>
    public static MemberlistOptions Lan(string name) => new() { Name = name };

    /// <summary>The reference WAN profile: slower, more tolerant timers.</summary>
    public static MemberlistOptions Wan(string name) => new()
    {
        Name = name,
        TcpTimeout = TimeSpan.FromSeconds(30),
        SuspicionMult = 6,
        PushPullInterval = TimeSpan.FromSeconds(60),
        ProbeTimeout = TimeSpan.FromSeconds(3),
        ProbeInterval = TimeSpan.FromSeconds(5),
        GossipNodes = 4,
        GossipInterval = TimeSpan.FromMilliseconds(500),
        GossipToTheDeadTime = TimeSpan.FromSeconds(60),
    };

    /// <summary>The reference Local profile: loopback or same-host clusters.</summary>
    public static MemberlistOptions Local(string name) => new()
    {
        Name = name,
        TcpTimeout = TimeSpan.FromSeconds(1),
        IndirectChecks = 1,
        RetransmitMult = 2,
        SuspicionMult = 3,
        PushPullInterval = TimeSpan.FromSeconds(15),
        ProbeTimeout = TimeSpan.FromMilliseconds(200),
        ProbeInterval = TimeSpan.FromSeconds(1),
        GossipInterval = TimeSpan.FromMilliseconds(100),
        GossipToTheDeadTime = TimeSpan.FromSeconds(15),
    };
}
