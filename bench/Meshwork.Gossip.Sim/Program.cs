using System.Diagnostics;
using System.Globalization;
using Meshwork.Gossip;
using Meshwork.Gossip.Simulation;
using Meshwork.Gossip.Wire;

// Meshwork gossip simulator: convergence and false-positive figures on virtual time.
// Usage: dotnet run -c Release -- [--nodes 1000,5000] [--seeds 1] [--loss 0,0.1] [--fp-nodes 1000] [--fp-seconds 120] [--codec msgpack|compact]
var args2 = Args.Parse(args);
var nodes = args2.Ints("--nodes", [1000, 5000]);
var seeds = args2.Ints("--seeds", [1]);
var losses = args2.Doubles("--loss", [0.0, 0.10]);
var fpNodes = args2.Ints("--fp-nodes", [1000]);
var fpSeconds = args2.Ints("--fp-seconds", [120])[0];
var slowFraction = args2.Doubles("--slow", [0.05])[0];
var slowDelay = args2.Doubles("--slow-delay", [2.0])[0];
var slowRun = args2.Doubles("--slow-run", [-1])[0];
var lagModel = args2.Ints("--slow-lag", [0])[0] != 0;
var tcpPings = args2.Ints("--tcp-pings", [1])[0] != 0;
var skipFp = args2.Ints("--fp", [1])[0] == 0;
var skipConvergence = args2.Ints("--convergence", [1])[0] == 0;
// --codec compact: every node announces and speaks the compact datagram codec (CompactGossipCodec) instead of msgpack.
var compact = args2.Strings("--codec", ["msgpack"])[0] switch
{
    "msgpack" => false,
    "compact" => true,
    var other => throw new ArgumentException($"--codec must be msgpack or compact, not '{other}'"),
};
Action<int, MemberlistStateMachine>? configureNode = compact
    ? (_, m) => { CompactGossipCodec.Advertise(m.Options); m.TransformDelegate = new CompactGossipCodec(); }
    : null;
if (skipConvergence) { nodes = []; }
Func<string, MemberlistOptions> profile = name => new MemberlistOptions { Name = name, EnableCompression = false, DisableTcpPings = !tcpPings };

static string S(TimeSpan? t) => t is { } v ? v.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";

if (!skipConvergence)
{
Console.WriteLine($"## Convergence (LAN profile, gossip interval 200 ms, fanout 3, TCP fallback pings {(tcpPings ? "on" : "off")}, codec {(compact ? "compact" : "msgpack")})");
Console.WriteLine();
Console.WriteLine("| nodes | loss | seed | join → 99.9 % | join → 100 % | failure → 99.9 % | failure → 100 % | bytes/node/s | false dead | wall |");
Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
}
foreach (var n in nodes)
{
    foreach (var loss in losses)
    {
        foreach (var seed in seeds)
        {
            var sw = Stopwatch.StartNew();
            var r = Experiments.Convergence(new SimulationOptions { Nodes = n, Seed = seed, PacketLoss = loss, Profile = profile, ConfigureNode = configureNode });
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n} | {loss:P0} | {seed} | {S(r.JoinTo999)} s | {S(r.JoinTo100)} s | {S(r.FailureTo999)} s | {S(r.FailureTo100)} s | {r.BytesPerNodePerSecond:0} | {r.FalseDeadDeclarations} | {sw.Elapsed.TotalSeconds:0} s |"));
        }
    }
}

if (skipFp) { return; }
Console.WriteLine();
Console.WriteLine(lagModel
    ? FormattableString.Invariant($"## False positives: {slowFraction:P0} healthy-but-slow nodes (every received packet handled after a lag up to {slowDelay} s; timers on time), {fpSeconds} s virtual")
    : FormattableString.Invariant($"## False positives: {slowFraction:P0} healthy-but-slow nodes (frozen phases up to {slowDelay} s, running phases up to {(slowRun >= 0 ? slowRun : slowDelay)} s), {fpSeconds} s virtual"));
Console.WriteLine();
Console.WriteLine("| nodes | slow | Lifeguard | suspicion timeouts (dead declared) | dead events seen | distinct victims | healthy victims | suspect samples (1/s) | mean slow-node health score | wall |");
Console.WriteLine("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var n in fpNodes)
{
    foreach (var lifeguard in new[] { true, false })
    {
        foreach (var seed in seeds)
        {
            var sw = Stopwatch.StartNew();
            var r = Experiments.FalsePositives(new SimulationOptions
            {
                Nodes = n, Seed = seed, SlowFraction = slowFraction, SlowDelay = TimeSpan.FromSeconds(slowDelay), Lifeguard = lifeguard, Profile = profile,
                SlowRunPhase = slowRun >= 0 ? TimeSpan.FromSeconds(slowRun) : null,
                SlowModel = lagModel ? SlowNodeModel.PacketLag : SlowNodeModel.Freeze,
            }, TimeSpan.FromSeconds(fpSeconds));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {n} | {r.SlowNodes} | {(lifeguard ? "on" : "off")} | {r.SuspicionTimeouts} | {r.FalseDeadDeclarations} | {r.DistinctVictims} | {r.HealthyVictims} | {r.FalseSuspicionsSeen} | {r.MeanSlowHealthScore:0.00} | {sw.Elapsed.TotalSeconds:0} s |"));
        }
    }
}

internal sealed class Args(Dictionary<string, string> values)
{
    public static Args Parse(string[] argv)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < argv.Length; i += 2) { d[argv[i]] = argv[i + 1]; }
        return new Args(d);
    }

    public int[] Ints(string name, int[] fallback) =>
        values.TryGetValue(name, out var v) ? v.Split(',').Select(x => int.Parse(x, CultureInfo.InvariantCulture)).ToArray() : fallback;

    public double[] Doubles(string name, double[] fallback) =>
        values.TryGetValue(name, out var v) ? v.Split(',').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray() : fallback;

    public string[] Strings(string name, string[] fallback) => values.TryGetValue(name, out var v) ? v.Split(',') : fallback;
}
