using System.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using Meshwork.Tars;

namespace Meshwork.Bench.Tars;

/// <summary>
/// A unary echo of a 100-character string on loopback, server and client in this process: through Meshwork's TARS
/// server and <see cref="TarsChannel"/> (TARS v1 frames), and through Meshwork's native <see cref="RpcServer"/> and
/// <see cref="RpcChannel"/> (one connection each). Callers loop for the round's duration.
/// </summary>
internal static class CallBench
{
    public readonly record struct Result(double CallsPerSecond, double P50Micros, double P99Micros, double BytesPerCall);

    public const string ObjectName = "MeshBench.EchoServer.EchoObj";
    private static readonly string Payload = new('x', 100);
    private static readonly TarsValueReader<string> ReadString = static (ref TarsReader r, int t) => r.ReadString(t, true);
    private static readonly TarsValueWriter<string> WriteString = static (ref TarsWriter w, int t, string v) => w.WriteString(t, v);
    private static readonly Method<TarsInvocation, TarsReply> TarsEcho = TarsMethods.Unary(ObjectName, "echo");
    private static readonly Method<string, string> NativeEcho = new("bench", "Echo", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    private sealed class Msg(string msg) : ITarsArguments
    {
        public void WriteTo(TarsParameterWriter writer) => writer.Write(1, "msg", "string", msg, WriteString);
    }

    /// <summary>The TARS server of the bench: one object with <c>string echo(string msg)</c>.</summary>
    public static TarsServer CreateServer() => new TarsServer().AddService(new TarsServiceDefinition(ObjectName).Add("echo", ctx =>
    {
        ctx.Results.WriteReturn("string", ctx.Arguments.Read(1, "msg", ReadString), WriteString);
        return ValueTask.CompletedTask;
    }));

    /// <summary>One echo call as an application makes it (a new invocation and arguments object per call).</summary>
    public static async Task<int> TarsEchoOnceAsync(TarsChannel channel)
    {
        var reply = await channel.UnaryAsync(TarsEcho, new TarsInvocation(new Msg(Payload)));
        return reply.Results.ReadReturn(ReadString).Length;
    }

    public static async Task<Result> TarsAsync(int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        await using var server = CreateServer();
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        await using var channel = TarsChannel.ForProxy($"{ObjectName}@{endpoint}");
        return await RunAsync(() => TarsEchoOnceAsync(channel), concurrency, warmup, duration);
    }

    public static async Task<Result> NativeAsync(int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        await using var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: "bench");
        server.AddService(new ServiceDefinition("bench").AddUnary(NativeEcho, (s, _) => ValueTask.FromResult(s)));
        await server.StartAsync();
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0], new RpcClientOptions { ConnectionsPerEndpoint = 1 });
        return await RunAsync(async () => (await channel.UnaryAsync(NativeEcho, Payload)).Length, concurrency, warmup, duration);
    }

    /// <summary>Latency samples kept per caller: the last 65 536 calls, in arrays allocated before the measured run so they do not count as call allocations.</summary>
    private const int Samples = 1 << 16;

    private static async Task<Result> RunAsync(Func<Task<int>> call, int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        await LoopAsync(call, concurrency, warmup, null, null);
        var latencies = new long[concurrency][];
        var counts = new long[concurrency];
        for (int i = 0; i < concurrency; i++) latencies[i] = new long[Samples];
        GC.Collect();
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        long calls = await LoopAsync(call, concurrency, duration, latencies, counts);
        double seconds = clock.Elapsed.TotalSeconds;
        long bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var all = latencies.SelectMany((l, w) => l.Take((int)Math.Min(counts[w], Samples))).Order().ToArray();
        double toMicros = 1_000_000.0 / Stopwatch.Frequency;
        return new Result(calls / seconds, all[all.Length / 2] * toMicros, all[(int)(all.Length * 0.99)] * toMicros, (double)bytes / calls);
    }

    private static async Task<long> LoopAsync(Func<Task<int>> call, int concurrency, TimeSpan duration, long[][]? latencies, long[]? counts)
    {
        long total = 0;
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = new Task[concurrency];
        for (int w = 0; w < concurrency; w++)
        {
            int worker = w;
            workers[w] = Task.Run(async () =>
            {
                long n = 0;
                while (Stopwatch.GetTimestamp() < end)
                {
                    long start = Stopwatch.GetTimestamp();
                    await call();
                    if (latencies is not null) latencies[worker][n % Samples] = Stopwatch.GetTimestamp() - start;
                    n++;
                }
                if (counts is not null) counts[worker] = n;
                Interlocked.Add(ref total, n);
            });
        }
        await Task.WhenAll(workers);
        return total;
    }
}
