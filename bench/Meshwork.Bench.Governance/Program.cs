using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.NoEmit;
using Meshwork.Bench.Governance;

// Governance benchmarks, all in one quick run (about two minutes):
//   picks     pick cost per balancer (BenchmarkDotNet, in-process: ns and allocated bytes per pick)
//   pipeline [ROUNDS [SECONDS]]  governed pipeline (static discovery, P2C, breaker, retry budget) vs a bare RpcChannel,
//             c=64, same run, interleaved rounds (default 2 of 4 s), with the CPU time per call and the median ratios
//   alloc     bytes allocated per call, governed vs bare, c=1 and c=64 (not part of the default run)
//   profile governed|bare SECONDS   one client alone at c=64, for a profiler attached to the process
//   slow      p99 with one of three servers slowed by 20 ms: P2C-EWMA vs round robin (and all-healthy P2C)
// Run: dotnet run -c Release --project bench/Meshwork.Bench.Governance [-- picks|pipeline|slow ...]
var parts = args.Length == 0 ? ["picks", "pipeline", "slow"] : args;
Console.WriteLine($"Load average at start: {LoadAverage()}, {Environment.ProcessorCount} cores");
if (parts.Contains("picks"))
{
    // In-process (no per-benchmark rebuild, which times out on a loaded machine), few iterations: the allocation
    // column does not depend on the load, the nanoseconds do.
    var job = Job.Default.WithToolchain(InProcessNoEmitToolchain.Instance).WithWarmupCount(2).WithIterationCount(5).WithLaunchCount(1);
    var config = DefaultConfig.Instance.AddJob(job).AddDiagnoser(MemoryDiagnoser.Default).WithOptions(ConfigOptions.DisableOptimizationsValidator);
    BenchmarkRunner.Run<PickBenchmarks>(config);
}
if (parts.Contains("alloc")) await AllocationBenchmark.RunAsync();
if (parts.Length >= 3 && parts[0] == "profile") await AllocationBenchmark.ProfileAsync(parts[1], double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture));
if (parts.Contains("pipeline"))
{
    // pipeline [ROUNDS [SECONDS]]: more, shorter interleaved rounds on a loaded machine.
    int at = Array.IndexOf(parts, "pipeline");
    int rounds = parts.Length > at + 1 && int.TryParse(parts[at + 1], out int r) ? r : 2;
    double seconds = parts.Length > at + 2 && double.TryParse(parts[at + 2], System.Globalization.CultureInfo.InvariantCulture, out double s) ? s : 4;
    await PipelineBenchmark.RunAsync(rounds, seconds);
}
if (parts.Contains("slow")) await SlowServerBenchmark.RunAsync();
Console.WriteLine($"Load average at end: {LoadAverage()}");

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ')[..3]) : "n/a";
