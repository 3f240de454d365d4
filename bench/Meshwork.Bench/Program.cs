using System.Diagnostics;
using System.Text.Json;
using Meshwork.Bench;

// Side-by-side unary echo benchmark: Meshwork vs gRPC-dotnet, each server in its own process, same client process.
// Usage: dotnet Meshwork.Bench.dll [--duration 3] [--warmup 1] [--concurrency 1,16,64,256] [--connections 1,4] [--only meshwork|grpc] [--inline] [--json out.json]
var duration = TimeSpan.FromSeconds(double.Parse(Arg("--duration", "3")));
var warmup = TimeSpan.FromSeconds(double.Parse(Arg("--warmup", "1")));
var concurrencies = Arg("--concurrency", "1,16,64,256").Split(',').Select(int.Parse).ToArray();
var connectionCounts = Arg("--connections", "1,4").Split(',').Select(int.Parse).ToArray();
var only = Arg("--only", "");
var jsonPath = Arg("--json", "");
// --inline runs the Meshwork server with RpcServerOptions.InlineHandlers (handlers on the read loop, no thread-pool hop).
string[] meshworkServerArgs = args.Contains("--inline") ? ["127.0.0.1:0", "--inline"] : [];
const int PayloadSize = 100;

string root = FindRoot();
string Dll(string name) => Path.Combine(root, "bench", name, "bin", "Release", "net10.0", name + ".dll");

var results = new List<Result>();
var systems = new List<(string Name, string Dll)>();
if (only is "" or "meshwork") systems.Add(("meshwork", Dll("Meshwork.Bench.Server")));
if (only is "" or "grpc") systems.Add(("grpc-dotnet", Dll("Meshwork.Bench.GrpcServer")));

Console.WriteLine($"unary echo, {PayloadSize}-byte payload, warmup {warmup.TotalSeconds}s, measure {duration.TotalSeconds}s per cell, {Environment.ProcessorCount} cores");
foreach (var (name, dll) in systems)
{
    await using var server = await ServerProcess.StartAsync(dll, name == "meshwork" ? meshworkServerArgs : []);
    foreach (int connections in connectionCounts)
    {
        foreach (int concurrency in concurrencies)
        {
            await using IEchoClient client = name == "meshwork"
                ? new MeshworkEchoClient(server.Address, connections)
                : new GrpcEchoClient(server.Address, connections);
            var r = await RunAsync(name, client, connections, concurrency);
            results.Add(r);
            Console.WriteLine(r.ToRow());
        }
    }
}

Console.WriteLine();
Console.WriteLine("| system | conns | concurrency | req/s | p50 µs | p99 µs | p99.9 µs | client B/call |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
foreach (var r in results) Console.WriteLine(r.ToMarkdown());
if (jsonPath.Length > 0)
{
    await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(results, BenchJson.Default.ListResult));
    Console.WriteLine($"wrote {jsonPath}");
}

async Task<Result> RunAsync(string name, IEchoClient client, int connections, int concurrency)
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
    long allocBefore = GC.GetTotalAllocatedBytes(precise: true);
    var sw = Stopwatch.StartNew();
    Volatile.Write(ref phase, 1);
    await Task.Delay(duration);
    Volatile.Write(ref phase, 2);
    double seconds = sw.Elapsed.TotalSeconds;
    long allocAfter = GC.GetTotalAllocatedBytes(precise: true);
    await Task.WhenAll(workers);
    var all = new LatencyHistogram();
    foreach (var h in histograms) all.Add(h);
    return new Result(name, connections, concurrency, all.Count / seconds, all.Quantile(0.5) / 1000.0, all.Quantile(0.99) / 1000.0,
        all.Quantile(0.999) / 1000.0, all.Count == 0 ? 0 : (allocAfter - allocBefore) / (double)all.Count);
}

string Arg(string key, string fallback)
{
    int i = Array.IndexOf(args, key);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}

static string FindRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.slnx"))) dir = dir.Parent;
    return dir?.FullName ?? throw new InvalidOperationException("run from inside the Meshwork repository");
}
