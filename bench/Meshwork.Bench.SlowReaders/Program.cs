using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

// Slow readers against a Meshwork echo server: N raw connections send 64 KiB echo requests and never read a reply,
// while one well-behaved client keeps calling. Prints the process RSS before, during and after, the server's own
// accounting (RpcServer.Buffers), and the well-behaved client's answers. The server runs in this process, with the
// same GC settings as bench/Meshwork.Bench.Server.
//
//   dotnet run -c Release --project bench/Meshwork.Bench.SlowReaders -- [--readers 16,256] [--request-kib 64] [--hold-seconds 10]

int[] readerCounts = Arg("--readers", "16,256").Split(',').Select(int.Parse).ToArray();
int requestKib = int.Parse(Arg("--request-kib", "64"));
int holdSeconds = int.Parse(Arg("--hold-seconds", "10"));
const long MiB = 1024 * 1024;

if (readerCounts.Length > 1)
{
    // One process per count, so that each "before" starts from a fresh runtime.
    PrintHeader();
    foreach (int readers in readerCounts) await RunChildAsync(readers);
    return;
}
if (!args.Contains("--no-header")) PrintHeader();
await RunAsync(readerCounts[0]);
return;

async Task RunAsync(int readers)
{
    var echo = new Method<byte[], byte[]>("Bench", "Echo", CallKind.Unary, MessageTypes.Plain<byte[]>(), MessageTypes.Plain<byte[]>());
    await using var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: "slow-reader-bench");
    server.AddService(new ServiceDefinition("Bench").AddUnary(echo, static (payload, _) => new ValueTask<byte[]>(payload)));
    await server.StartAsync();
    var endpoint = (IPEndPoint)server.BoundEndpoints[0].EndPoint;

    // Warm up the good client and the server so that "before" includes the JIT and the first buffers.
    await using var good = RpcChannel.ForEndpoint(server.BoundEndpoints[0], new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(10) });
    var payload = new byte[requestKib * 1024];
    for (int i = 0; i < 200; i++) await good.UnaryAsync(echo, payload);
    Collect();
    long before = Rss();

    using var stop = new CancellationTokenSource();
    long peakRss = before;
    var sampler = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            peakRss = Math.Max(peakRss, Rss());
            try { await Task.Delay(50, stop.Token); } catch (OperationCanceledException) { }
        }
    });

    var sockets = new List<Socket>();
    var senders = new List<Task>();
    for (int r = 0; r < readers; r++)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        sockets.Add(socket);
        senders.Add(SendUntilBlockedAsync(socket, requestKib * 1024));
    }

    long goodCalls = 0, goodFailures = 0;
    var goodLoop = Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await good.UnaryAsync(echo, payload);
                goodCalls++;
            }
            catch (RpcException)
            {
                goodFailures++;
            }
        }
    });

    await Task.WhenAll(senders);
    await Task.Delay(TimeSpan.FromSeconds(holdSeconds));
    long accountedPeak = server.Buffers.PeakBufferedBytes;
    long pauses = server.Buffers.ReadPauses;

    foreach (var s in sockets) s.Dispose();
    var settle = Stopwatch.StartNew();
    while (server.Buffers.BufferedBytes > 4 * MiB && settle.Elapsed < TimeSpan.FromSeconds(30)) await Task.Delay(100);
    await Task.Delay(TimeSpan.FromSeconds(5));
    stop.Cancel();
    await goodLoop;
    await sampler;
    long after = Rss();
    Collect();
    long afterGc = Rss();

    Console.WriteLine($"| {readers} | {before / MiB} MB | {peakRss / MiB} MB | {after / MiB} MB | {afterGc / MiB} MB | {accountedPeak / (double)MiB:0.0} MiB | {pauses} | {server.Buffers.MemoryTrims} | {goodCalls} ({goodFailures} failed) |");
}

void PrintHeader()
{
    var defaults = new RpcServerOptions();
    Console.WriteLine($"Slow readers: {requestKib} KiB echo requests, never read, held {holdSeconds} s; server defaults (MaxQueuedWriteBytes {defaults.MaxQueuedWriteBytes / MiB} MiB, " +
                      $"MaxBufferedBytes {defaults.MaxBufferedBytes / MiB} MiB, TrimMemoryAfterBurst {defaults.TrimMemoryAfterBurst}); {Environment.ProcessorCount} cores, Server GC");
    Console.WriteLine();
    Console.WriteLine("| slow readers | RSS before | RSS peak during | RSS 5 s after close | RSS after close + forced GC | server accounted peak | read pauses | memory trims | reading client's calls during (failed) |");
    Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
}

async Task RunChildAsync(int readers)
{
    var self = Environment.ProcessPath!;
    var psi = new ProcessStartInfo(self) { RedirectStandardOutput = true, UseShellExecute = false };
    if (Path.GetFileNameWithoutExtension(self) == "dotnet") psi.ArgumentList.Add(typeof(SlowReaderFrames).Assembly.Location);
    foreach (var a in new[] { "--readers", readers.ToString(), "--request-kib", requestKib.ToString(), "--hold-seconds", holdSeconds.ToString(), "--no-header" }) psi.ArgumentList.Add(a);
    using var child = Process.Start(psi)!;
    Console.Write(await child.StandardOutput.ReadToEndAsync());
    await child.WaitForExitAsync();
}

// Writes requests until one write has not completed for a second (the server stopped reading: back-pressure reached
// this client through TCP) or 32 MiB were written.
static async Task SendUntilBlockedAsync(Socket socket, int payloadBytes)
{
    long written = 0;
    for (uint id = 1; written < 32 * MiB; id++)
    {
        var frame = SlowReaderFrames.EchoRequest(id, "Bench", "Echo", payloadBytes);
        var send = socket.SendAsync(frame.AsMemory(), SocketFlags.None).AsTask();
        if (await Task.WhenAny(send, Task.Delay(1000)) != send)
        {
            _ = send.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            return;
        }
        written += await send;
    }
}

static long Rss() => Environment.WorkingSet;

static void Collect()
{
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
}

string Arg(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
