using System.Globalization;
using Meshwork.Bench.Tars;

// TARS benchmarks: Meshwork's Tars codec (compare with node/tars-codec-bench.js on @tars/stream) and a unary call through
// Meshwork's TARS server and client against the native protocol. bench/tars.sh runs both and prints the table.
//   dotnet bench/Meshwork.Bench.Tars/bin/Release/net10.0/Meshwork.Bench.Tars.dll [codec|calls|alloc|all] [--seconds 2] [--rounds 5] [--calls 100000]
string mode = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
double seconds = Option("--seconds", 2);
int rounds = (int)Option("--rounds", 5);
var round = TimeSpan.FromSeconds(seconds);
var warmup = TimeSpan.FromSeconds(Math.Min(seconds, 1));
var inv = CultureInfo.InvariantCulture;

if (mode == "alloc-server") return await AllocBench.ServeAsync();
if (mode is "alloc" or "all")
{
    foreach (var r in await AllocBench.RunAsync((long)Option("--calls", 100_000)))
    {
        Console.WriteLine(string.Create(inv,
            $"alloc tars c={r.Concurrency} client {r.ClientBytesPerCall:0} B/call server {r.ServerBytesPerCall:0} B/call ({r.Calls} calls, {r.CallsPerSecond:0} calls/s, server in a child process)"));
    }
}
if (mode is "codec" or "all")
{
    var (encode, decode, hex) = CodecBench.Run(warmup, round, rounds);
    Console.WriteLine(string.Create(inv, $"codec meshwork encode {encode.OpsPerSecond:0} ops/s {encode.BytesPerOp:0.#} B/op"));
    Console.WriteLine(string.Create(inv, $"codec meshwork decode {decode.OpsPerSecond:0} ops/s {decode.BytesPerOp:0.#} B/op"));
    Console.WriteLine($"codec meshwork bytes {hex.Length / 2} {hex}");
}
if (mode is "calls" or "all")
{
    foreach (int concurrency in new[] { 1, 32 })
    {
        var tars = await CallBench.TarsAsync(concurrency, warmup, round);
        var native = await CallBench.NativeAsync(concurrency, warmup, round);
        CallBench.Result traced;
        using (var listener = Tracing.Listen())
        {
            traced = await CallBench.TarsAsync(concurrency, warmup, round);
        }
        foreach (var (name, r) in new[] { ("tars", tars), ("native", native), ("tars+listener", traced) })
        {
            Console.WriteLine(string.Create(inv,
                $"call {name} c={concurrency} {r.CallsPerSecond:0} calls/s p50 {r.P50Micros:0} us p99 {r.P99Micros:0} us {r.BytesPerCall:0} B/call"));
        }
    }
}
return 0;

double Option(string name, double fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
