using System.Diagnostics;
using System.Net;

namespace Meshwork.Gossip;

/// <summary>Wall-clock runtime: timers run on the thread pool and take the member list lock before calling back.</summary>
internal sealed class RealtimeRuntime(
    Action<IPEndPoint, byte[]> send,
    Action<IPEndPoint, bool> pushPull,
    Func<IPEndPoint, byte[], uint, TimeSpan, Task<bool>> streamPing) : IGossipRuntime
{
    private readonly long _origin = Stopwatch.GetTimestamp();

    public Lock Gate { get; set; } = new();

    public TimeSpan Now => Stopwatch.GetElapsedTime(_origin);

    public Random Random { get; } = new();

    public IDisposable Schedule(TimeSpan delay, Action callback)
    {
        var handle = new Handle();
        handle.Timer = new Timer(_ =>
        {
            lock (Gate)
            {
                if (handle.Cancelled) { return; }
                handle.Cancelled = true;
                callback();
            }
        }, null, delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan);
        return handle;
    }

    public void SendPacket(IPEndPoint to, byte[] datagram) => send(to, datagram);

    public void BeginPushPull(IPEndPoint to, bool join) => pushPull(to, join);

    public void BeginStreamPing(IPEndPoint to, byte[] ping, uint seqNo, TimeSpan timeout, Action<bool> done)
    {
        _ = Task.Run(async () =>
        {
            bool ok;
            try { ok = await streamPing(to, ping, seqNo, timeout).ConfigureAwait(false); }
            catch (Exception) { ok = false; }
            lock (Gate) { done(ok); }
        });
    }

    private sealed class Handle : IDisposable
    {
        public Timer? Timer { get; set; }
        public bool Cancelled { get; set; }

        public void Dispose()
        {
            Cancelled = true;
            Timer?.Dispose();
        }
    }
}
