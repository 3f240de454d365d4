using System.Diagnostics;
using Meshwork.Discovery;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Bench.Governance;

/// <summary>Echo servers on loopback in this process; any of them can be slowed by a fixed delay per call.</summary>
internal sealed class EchoCluster : IAsyncDisposable
{
    public static readonly Method<string, string> Echo = new("bench", "Echo", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    private readonly List<RpcServer> _servers = [];
    private readonly TimeSpan[] _delays;

    private EchoCluster(int count) => _delays = new TimeSpan[count];

    public IReadOnlyList<ServiceInstance> Instances => _servers.Select(s => new ServiceInstance("bench", s.BoundEndpoints[0].ToString())).ToArray();

    public string Address(int i) => _servers[i].BoundEndpoints[0].ToString();

    public void Slow(int server, TimeSpan delay) => _delays[server] = delay;

    public static async Task<EchoCluster> StartAsync(int count)
    {
        var cluster = new EchoCluster(count);
        for (int i = 0; i < count; i++)
        {
            int index = i;
            var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: "echo" + i);
            server.AddService(new ServiceDefinition("bench").AddUnary(Echo, async (s, _) =>
            {
                var delay = cluster._delays[index];
                if (delay > TimeSpan.Zero) await Task.Delay(delay);
                return s;
            }));
            await server.StartAsync();
            cluster._servers.Add(server);
        }
        return cluster;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in _servers) await s.DisposeAsync();
    }
}

/// <summary>A closed-loop load: <c>concurrency</c> callers, each calling as fast as answers come, recording every latency.</summary>
internal static class ClosedLoop
{
    /// <summary>One cell's outcome; <c>CpuMicrosPerCall</c> is the whole process's CPU time (user and kernel, server included) over the calls.</summary>
    public sealed record Result(long Calls, long Failures, double Seconds, double P50Micros, double P99Micros, double CpuMicrosPerCall)
    {
        public double PerSecond => Calls / Seconds;
    }

    public static async Task<Result> RunAsync(CallInvoker invoker, int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        await RunCoreAsync(invoker, concurrency, warmup, record: false);
        return await RunCoreAsync(invoker, concurrency, duration, record: true);
    }

    private static async Task<Result> RunCoreAsync(CallInvoker invoker, int concurrency, TimeSpan duration, bool record)
    {
        var latencies = new List<long>[concurrency];
        long failures = 0;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stop = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, concurrency).Select(w => Task.Run(async () =>
        {
            var mine = latencies[w] = new List<long>(1 << 16);
            while (Stopwatch.GetTimestamp() < stop)
            {
                long t0 = Stopwatch.GetTimestamp();
                try
                {
                    await invoker.UnaryAsync(EchoCluster.Echo, "x");
                    if (record) mine.Add(Stopwatch.GetTimestamp() - t0);
                }
                catch (RpcException)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Micros(double q) => all.Length == 0 ? 0 : all[Math.Min(all.Length - 1, (int)(q * all.Length))] * 1e6 / Stopwatch.Frequency;
        return new Result(all.Length, failures, seconds, Micros(0.50), Micros(0.99), all.Length == 0 ? 0 : cpu.TotalMicroseconds / all.Length);
    }
}
