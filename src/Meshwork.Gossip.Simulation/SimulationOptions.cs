namespace Meshwork.Gossip.Simulation;

/// <summary>Parameters of a simulated cluster. Every random choice derives from <see cref="Seed"/>.</summary>
public sealed class SimulationOptions
{
    /// <summary>Number of nodes.</summary>
    public int Nodes { get; set; } = 100;

    /// <summary>Seed for the network and every node's random source; the same seed replays the same run.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>One-way base latency. Default 1 ms (a LAN).</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Uniform extra latency in [0, Jitter). Default 1 ms.</summary>
    public TimeSpan Jitter { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Probability of losing a datagram. Default 0.</summary>
    public double PacketLoss { get; set; }

    /// <summary>Fraction of nodes that are healthy but slow (CPU-starved). Default 0.</summary>
    public double SlowFraction { get; set; }

    /// <summary>
    /// A slow node alternates between running and frozen phases, each uniform in [0, SlowDelay); while frozen nothing
    /// runs, and on thawing its overdue timers fire before it reads the packets that arrived. Default 2 s.
    /// </summary>
    public TimeSpan SlowDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Upper bound of a slow node's running phases (uniform in [0, SlowRunPhase)); null = same as <see cref="SlowDelay"/>.
    /// Short running phases between long freezes model a badly starved process.
    /// </summary>
    public TimeSpan? SlowRunPhase { get; set; }

    /// <summary>How slowness shows: <see cref="SlowNodeModel.Freeze"/> (default) or <see cref="SlowNodeModel.PacketLag"/>.</summary>
    public SlowNodeModel SlowModel { get; set; } = SlowNodeModel.Freeze;

    /// <summary>Lifeguard (awareness, dynamic suspicion, nacks) on, as in the reference; off = classic SWIM timers.</summary>
    public bool Lifeguard { get; set; } = true;

    /// <summary>Member list settings template (default LAN profile, compression off to keep large runs fast).</summary>
    public Func<string, MemberlistOptions> Profile { get; set; } = name => new MemberlistOptions { Name = name, EnableCompression = false };

    /// <summary>
    /// Called for every node (by index) after its state machine is created and before it starts: set delegates such as
    /// a transform codec, or adjust its options (e.g. the version vector). Default null: nothing.
    /// </summary>
    public Action<int, MemberlistStateMachine>? ConfigureNode { get; set; }
}

/// <summary>How a healthy-but-slow node misbehaves in the simulator.</summary>
public enum SlowNodeModel
{
    /// <summary>Alternates running and frozen phases; nothing runs while frozen, overdue timers first on thawing.</summary>
    Freeze,

    /// <summary>Timers run on time but every received packet is handled after a uniform lag in [0, SlowDelay) (a backlog).</summary>
    PacketLag,
}
