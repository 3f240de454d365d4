using System.Net;
using System.Net.Sockets;
using Meshwork.Bench;
using Meshwork.Bench.Bare;

// Bare multiplexed length-prefixed echo: the baseline for the side-by-side benchmark, no framework. It does only what
// any server of this exchange must do (read, split frames, write each reply frame, one socket write per read), so
// its rate is this machine's limit for a 100-byte request/reply on loopback.
// Usage: Meshwork.Bench.BareServer [host:port, default 127.0.0.1:0] [--blocking] [--max-payload bytes] [--alloc-sample].
// Prints "READY <host:port>", serves until stdin closes, answers STATS on stdin (see ServerControl).
var endpoint = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? IPEndPoint.Parse(args[0]) : new IPEndPoint(IPAddress.Loopback, 0);
bool blocking = args.Contains("--blocking");
int maxPayload = BareFrame.DefaultMaxPayload;
int i = Array.IndexOf(args, "--max-payload");
if (i >= 0 && (i + 1 >= args.Length || !int.TryParse(args[i + 1], out maxPayload) || maxPayload < 0))
    throw new ArgumentException("--max-payload needs a non-negative byte count");

using var listener = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
listener.Bind(endpoint);
listener.Listen(512);
using var stopping = new CancellationTokenSource();
var acceptLoop = blocking ? AcceptBlocking(listener, maxPayload) : AcceptAsync(listener, maxPayload, stopping.Token);
Console.WriteLine($"READY {listener.LocalEndPoint}");
await ServerControl.ServeUntilStdinClosesAsync(args);
stopping.Cancel();
listener.Close();
try { await acceptLoop; } catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }

// --blocking: a thread per connection with blocking receives, so no epoll-to-thread-pool hop between the kernel and the loop.
static Task AcceptBlocking(Socket listener, int maxPayload)
{
    var accepting = new Thread(() =>
    {
        try
        {
            while (true)
            {
                var socket = listener.Accept();
                socket.NoDelay = true;
                new Thread(new BareEchoConnection(socket, maxPayload).RunBlocking) { IsBackground = true, Name = "bare echo connection" }.Start();
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The listener was closed: shutting down.
        }
    }) { IsBackground = true, Name = "bare echo accept" };
    accepting.Start();
    return Task.CompletedTask;
}

static async Task AcceptAsync(Socket listener, int maxPayload, CancellationToken cancellationToken)
{
    while (!cancellationToken.IsCancellationRequested)
    {
        var socket = await listener.AcceptAsync(cancellationToken);
        socket.NoDelay = true;
        _ = new BareEchoConnection(socket, maxPayload).RunAsync();
    }
}
