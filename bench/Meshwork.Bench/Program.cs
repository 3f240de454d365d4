using Meshwork.Rpc;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Meshwork.Bench;

// Side-by-side unary echo benchmark: the bare multiplexed echo (this machine's limit for the exchange), Meshwork and
// gRPC-dotnet. Each server runs in its own process; one client process drives them in turn, cell by cell, so the
// figures of a cell are taken seconds apart and their ratios are comparable even when the machine's load drifts.
// Usage: dotnet Meshwork.Bench.dll [--quick] [--rounds 3] [--duration 1.5] [--warmup 0.5] [--concurrency 1,16,64,256]
//   [--connections 1,4] [--only bare,bare-async,meshwork,grpc] [--dispatch adaptive|queued|inline] [--reader-threads N] [--alloc-sample] [--json out.json]
// Systems: "bare" is the bare echo with a blocking read thread per connection on both sides (no thread-pool hop: the
// machine's limit); "bare-async" is the same echo on async socket I/O (epoll + thread pool, the I/O model Meshwork and
// Kestrel use), which separates what the I/O model costs from what the framework costs.
// Each cell measures every system --rounds times, round-robin, each time with a fresh client: warm-up, then a
// --duration window; a system's figures are the sums over its rounds. --quick: smoke run (one round of 0.5 s after
// 0.25 s warm-up, concurrency 1 and 64); explicit options still win.
bool quick = args.Contains("--quick");
var duration = TimeSpan.FromSeconds(PositiveDouble("--duration", quick ? "0.5" : "1.5"));
var warmup = TimeSpan.FromSeconds(PositiveDouble("--warmup", quick ? "0.25" : "0.5"));
int rounds = Ints("--rounds", quick ? "1" : "3") is [var roundCount] ? roundCount : throw new ArgumentException("--rounds needs one positive integer");
var concurrencies = Ints("--concurrency", quick ? "1,64" : "1,16,64,256");
var connectionCounts = Ints("--connections", "1,4");
string[] knownSystems = ["bare", "bare-async", "meshwork", "grpc"];
var selected = Arg("--only", string.Join(',', knownSystems)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
if (selected.Length == 0 || selected.Any(s => !knownSystems.Contains(s)))
    throw new ArgumentException($"--only takes a comma-separated subset of {string.Join(',', knownSystems)}");
var jsonPath = Arg("--json", "");
// --alloc-sample: diagnostic, not for quoted figures; every server samples its allocations by type and prints the
// breakdown of each measured window (see bench/Shared/AllocationSampler.cs).
bool sampleAllocations = args.Contains("--alloc-sample");
// --dispatch adaptive|queued|inline sets where Meshwork runs handlers (server: RpcServerOptions.HandlerDispatch) and
// callers' continuations (client: RpcClientOptions.CompletionDispatch); the default is each option's default, Adaptive.
var dispatch = Enum.Parse<DispatchMode>(Arg("--dispatch", "adaptive"), ignoreCase: true);
// --reader-threads N sets RpcServerOptions.ReaderThreads and RpcClientOptions.ReaderThreads (0: the asynchronous socket
// model only); the default is each option's default, 16.
int? readerThreads = Arg("--reader-threads", "") is { Length: > 0 } rt ? int.Parse(rt, System.Globalization.CultureInfo.InvariantCulture) : null;
string[] meshworkServerArgs = readerThreads is { } n
    ? ["127.0.0.1:0", "--dispatch", dispatch.ToString(), "--reader-threads", n.ToString(System.Globalization.CultureInfo.InvariantCulture)]
    : ["127.0.0.1:0", "--dispatch", dispatch.ToString()];
const int PayloadSize = 100;

string root = FindRoot();
string Dll(string name) => Path.Combine(root, "bench", name, "bin", "Release", "net10.0", name + ".dll");

// Display names, in the order of each cell's first round (later rounds rotate it); the others' share is relative to "bare".
var systems = new List<(string Key, string Name, string Dll, string[] Args)>();
if (selected.Contains("bare")) systems.Add(("bare", "bare echo", Dll("Meshwork.Bench.BareServer"), ["127.0.0.1:0", "--blocking"]));
if (selected.Contains("bare-async")) systems.Add(("bare-async", "bare echo async", Dll("Meshwork.Bench.BareServer"), []));
if (selected.Contains("meshwork")) systems.Add(("meshwork", "meshwork", Dll("Meshwork.Bench.Server"), meshworkServerArgs));
if (selected.Contains("grpc")) systems.Add(("grpc", "grpc-dotnet", Dll("Meshwork.Bench.GrpcServer"), []));

Console.WriteLine($"unary echo, {PayloadSize}-byte payload, per cell and system {rounds} round(s) of {warmup.TotalSeconds}s warm-up + {duration.TotalSeconds}s measured, " +
    $"{Environment.ProcessorCount} cores, load average at start {LoadAverage():N2}");
// The runtime knobs bench/run.sh --tuned and --no-gc-adaptation set; the servers inherit this process's environment.
Console.WriteLine($"runtime: thread-pool spin limit {Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") ?? "default (70)"}, " +
    $"inline socket completions {(Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1" ? "on" : "off (default)")}, " +
    $"server collector's dynamic adaptation {(Environment.GetEnvironmentVariable("DOTNET_GCDynamicAdaptationMode") == "0" ? "off" : "on (default)")}, " +
    $"Meshwork dispatch {dispatch}{(dispatch == DispatchMode.Adaptive ? " (default)" : "")}, reader threads {(readerThreads is { } rtn ? rtn.ToString(System.Globalization.CultureInfo.InvariantCulture) : "16 (default)")}");
var servers = new Dictionary<string, ServerProcess>();
var results = new List<Result>();
try
{
    foreach (var s in systems) servers[s.Key] = await ServerProcess.StartAsync(s.Dll, sampleAllocations ? [.. s.Args, "--alloc-sample"] : s.Args);
    foreach (int connections in connectionCounts)
    {
        foreach (int concurrency in concurrencies)
        {
            // Rounds interleave the systems (and rotate which goes first) so that load drifting during the cell hits all alike.
            var measured = systems.ToDictionary(s => s.Key, _ => new Measurement());
            for (int round = 0; round < rounds; round++)
            {
                for (int k = 0; k < systems.Count; k++)
                {
                    var s = systems[(k + round) % systems.Count];
                    var server = servers[s.Key];
                    await using IEchoClient client = s.Key switch
                    {
                        "bare" => new BareEchoClient(server.Address, connections, concurrency, blockingReads: true),
                        "bare-async" => new BareEchoClient(server.Address, connections, concurrency, blockingReads: false),
                        "meshwork" => new MeshworkEchoClient(server.Address, connections, dispatch, readerThreads),
                        _ => new GrpcEchoClient(server.Address, connections),
                    };
                    await MeasureAsync(s.Name, client, server, connections, concurrency, measured[s.Key]);
                }
            }
            double? bareRate = null;
            foreach (var s in systems)
            {
                var r = measured[s.Key].ToResult(s.Name, connections, concurrency, LoadAverage());
                if (s.Key == "bare") bareRate = r.RequestsPerSecond;
                if (bareRate is > 0) r.ShareOfBare = r.RequestsPerSecond / bareRate;
                results.Add(r);
                Console.WriteLine(r.ToRow());
            }
        }
    }
}
finally
{
    foreach (var server in servers.Values) await server.DisposeAsync();
}

Console.WriteLine($"load average at end {LoadAverage():N2}");
Console.WriteLine();
Console.WriteLine(Result.MarkdownHeader);
foreach (var r in results) Console.WriteLine(r.ToMarkdown());
Console.WriteLine();
Console.WriteLine(Result.CostHeader);
foreach (var r in results) Console.WriteLine(r.ToCostMarkdown());
PrintSideBySide(results);
if (jsonPath.Length > 0)
{
    await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(results, BenchJson.Default.ListResult));
    Console.WriteLine($"wrote {jsonPath}");
}

async Task MeasureAsync(string name, IEchoClient client, ServerProcess server, int connections, int concurrency, Measurement into)
{
    var payload = new byte[PayloadSize];
    Random.Shared.NextBytes(payload);
    await client.CallAsync(0, payload); // connect
    int phase = 0; // 0 warmup, 1 measure, 2 stop
    var histograms = new LatencyHistogram[concurrency];
    var workers = new Task[concurrency];
    for (int w = 0; w < concurrency; w++)
    {
        int worker = w;
        var h = histograms[w] = new LatencyHistogram();
        workers[w] = Task.Run(async () =>
        {
            while (true)
            {
                int p = Volatile.Read(ref phase);
                if (p == 2) return;
                long t0 = Stopwatch.GetTimestamp();
                await client.CallAsync(worker, payload);
                if (p == 1 && Volatile.Read(ref phase) == 1) h.Record((long)((Stopwatch.GetTimestamp() - t0) * (1e9 / Stopwatch.Frequency)));
            }
        });
    }
    await Task.Delay(warmup);
    GC.Collect();
    // Both processes' counters are read while the load runs, at the start and the end of the measured window: the
    // deltas exclude warm-up and shutdown, and the server's window is shifted from the client's by one stdin round trip at
    // each end, which cancels out at a steady rate.
    if (sampleAllocations) await server.SampledAllocationsAsync(print: false);
    var serverBefore = await server.GetStatsAsync();
    long clientBefore = GC.GetTotalAllocatedBytes(precise: true);
    var clientProcessBefore = ProcessCounters.Read();
    var sw = Stopwatch.StartNew();
    Volatile.Write(ref phase, 1);
    await Task.Delay(duration);
    var serverAfter = await server.GetStatsAsync();
    Volatile.Write(ref phase, 2);
    double seconds = sw.Elapsed.TotalSeconds;
    long clientAfter = GC.GetTotalAllocatedBytes(precise: true);
    var clientProcessAfter = ProcessCounters.Read();
    if (sampleAllocations)
    {
        Console.WriteLine($"  {name} server, conns={connections} c={concurrency}: sampled allocations by type in the measured window");
        await server.SampledAllocationsAsync(print: true);
    }
    await Task.WhenAll(workers);
    foreach (var h in histograms) into.Latencies.Add(h);
    into.Seconds += seconds;
    into.ClientBytes += clientAfter - clientBefore;
    into.ServerBytes += serverAfter.AllocatedBytes - serverBefore.AllocatedBytes;
    into.ServerGen0 += serverAfter.Gen0 - serverBefore.Gen0;
    into.ServerGen1 += serverAfter.Gen1 - serverBefore.Gen1;
    into.ServerGen2 += serverAfter.Gen2 - serverBefore.Gen2;
    into.ClientProcess += clientProcessAfter - clientProcessBefore;
    into.ServerProcess += serverAfter.Process - serverBefore.Process;
}

static void PrintSideBySide(List<Result> results)
{
    // One row per cell: every system's rate, and Meshwork's (and gRPC-dotnet's) share of the bare echoes measured in it.
    string[] order = ["bare echo", "bare echo async", "meshwork", "grpc-dotnet"];
    var present = order.Where(name => results.Any(r => r.System == name)).ToList();
    (string Of, string Over)[] wanted = [("meshwork", "bare echo"), ("meshwork", "bare echo async"), ("grpc-dotnet", "bare echo")];
    var shares = wanted.Where(x => present.Contains(x.Of) && present.Contains(x.Over)).ToList();
    if (present.Count < 2) return;
    bool ratio = present.Contains("meshwork") && present.Contains("grpc-dotnet");
    Console.WriteLine();
    Console.WriteLine("| conns | concurrency | " + string.Join(" | ", present.Select(p => p + " req/s")) + " | " +
        string.Join(" | ", shares.Select(x => $"{x.Of} share of {x.Over}")) + (ratio ? " | meshwork ÷ grpc-dotnet |" : " |"));
    Console.WriteLine("|---:|---:|" + string.Concat(Enumerable.Repeat("---:|", present.Count + shares.Count + (ratio ? 1 : 0))));
    foreach (var cell in results.GroupBy(r => (r.Connections, r.Concurrency)))
    {
        double Rate(string system) => cell.FirstOrDefault(r => r.System == system)?.RequestsPerSecond ?? double.NaN;
        Console.WriteLine($"| {cell.Key.Connections} | {cell.Key.Concurrency} | " + string.Join(" | ", present.Select(p => Rate(p).ToString("N0", CultureInfo.InvariantCulture))) + " | " +
            string.Join(" | ", shares.Select(x => $"{Rate(x.Of) / Rate(x.Over) * 100:N1} %")) + (ratio ? $" | {Rate("meshwork") / Rate("grpc-dotnet"):N1}× |" : " |"));
    }
}

static double LoadAverage()
{
    try
    {
        return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
    }
    catch (IOException)
    {
        return double.NaN;
    }
}

string Arg(string key, string fallback)
{
    int i = Array.IndexOf(args, key);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

double PositiveDouble(string key, string fallback) =>
    double.TryParse(Arg(key, fallback), CultureInfo.InvariantCulture, out double v) && v > 0 ? v : throw new ArgumentException($"{key} needs a positive number of seconds");

int[] Ints(string key, string fallback) =>
    Arg(key, fallback).Split(',').Select(s => int.TryParse(s, out int v) && v > 0 ? v : throw new ArgumentException($"{key} needs a comma-separated list of positive integers, not '{s}'")).ToArray();

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.slnx"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("run from inside the Meshwork repository");
}
