using System.Diagnostics;
using Meshwork.Discovery;
using Meshwork.Governance.Server;
using Meshwork.Hosting.Internal;
using Meshwork.Internal;
using Microsoft.Extensions.Logging;

namespace Meshwork.Hosting.Governance;

/// <summary>
/// Publishes a changed announcement (hot reload) and keeps trying while the registry cannot take it: a registry that
/// is down, stalled or refusing writes (etcd out of space, a lost session) would otherwise keep the old announcement
/// until the file changes again or the process restarts. Attempts are spaced by a jittered exponential backoff
/// (<see cref="FirstDelay"/> doubling to <see cref="MaxDelay"/>); a newer change replaces the attempt in progress, and
/// the host's stop (or <see cref="Dispose"/>) ends it. Failures are logged rate-limited: the first at once (event
/// 3023), then at most one line per <see cref="LogInterval"/> carrying the number of failures not logged; success
/// after a failure logs event 3024. A failure that another attempt cannot fix (the registry rejects the announcement
/// itself, e.g. a record above the size limit of a ZooKeeper node) logs event 3025 once and is not retried.
/// </summary>
/// <remarks>
/// The delays are constants rather than options: they bound background work (at most two attempts a minute against a
/// registry that stays down) and the time to recover (within <see cref="MaxDelay"/> once it is back), neither of which
/// an application has reason to tune; the options class where they would belong, <see cref="ServiceAnnouncement"/>,
/// describes what is announced, not how it is delivered. The registry's own request timeout bounds each attempt.
/// </remarks>
internal sealed class AnnouncementPublisher : IDisposable
{
    /// <summary>Delay before the first retry; each later one doubles, up to <see cref="MaxDelay"/>.</summary>
    public static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>Longest delay between two attempts.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    /// <summary>Failure lines are at most one per this interval after the first (each says how many were not logged).</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(60);

    private readonly ILogger _log;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stopped = new();
    private CancellationTokenSource? _current;
    private readonly CancellationTokenRegistration _hostStopping;
    private long _attempts;
    private long _failures;

    /// <param name="log">Where 3023–3025 go.</param>
    /// <param name="hostStopping">The host's stop: no attempt starts after it (the drain deregisters everything anyway).</param>
    public AnnouncementPublisher(ILogger log, CancellationToken hostStopping)
    {
        _log = log;
        _hostStopping = hostStopping.Register(static state => ((AnnouncementPublisher)state!).Stop(), this);
    }

    /// <summary>Attempts made so far, over every publication (for tests and diagnostics).</summary>
    public long Attempts => Interlocked.Read(ref _attempts);

    /// <summary>Attempts that failed so far.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>
    /// Starts publishing <paramref name="announcement"/>, replacing a publication still retrying (its announcement is
    /// older). The task completes when it is published, replaced, refused for good, or the host stops; it never faults.
    /// </summary>
    public Task PublishAsync(DiscoverableServer server, ServiceAnnouncement announcement)
    {
        CancellationToken token;
        lock (_gate)
        {
            _current?.Cancel();
            _current?.Dispose();
            if (_stopped.IsCancellationRequested)
            {
                _current = null;
                return Task.CompletedTask;
            }
            _current = CancellationTokenSource.CreateLinkedTokenSource(_stopped.Token);
            // Taken under the lock: a newer change disposes this source, maybe before the task runs.
            token = _current.Token;
        }
        return Task.Run(() => RetryAsync(server, announcement, token));
    }

    private async Task RetryAsync(DiscoverableServer server, ServiceAnnouncement announcement, CancellationToken ct)
    {
        // Waits of 50–100 % of the nominal delay, so servers that failed together do not retry together.
        var backoff = new JitteredBackoff(FirstDelay, MaxDelay, multiplier: 2, jitter: 0.5);
        int attempt = 0;
        long lastLine = 0;
        long notLogged = 0;
        while (true)
        {
            attempt++;
            Interlocked.Increment(ref _attempts);
            string reason;
            try
            {
                // False: the drain has started, and what it deregisters is all that matters now.
                // Not cancelled by a newer change (only by the host's stop): an update cut off half way could leave
                // instances registered that no later update knows to withdraw; the newer change waits its turn instead.
                await server.UpdateAnnouncementAsync(announcement, _stopped.Token).ConfigureAwait(false);
                if (attempt > 1) HostingLog.AnnouncementPublishedAfterRetries(_log, attempt);
                return;
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return; // replaced by a newer change, or the host is stopping (a cancelled registry call may surface as any error)
            }
            catch (ObjectDisposedException)
            {
                return; // the registry or the server is gone: the host is stopping
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // The announcement itself is refused (by the registry, or as invalid): the same attempt fails again.
                Interlocked.Increment(ref _failures);
                HostingLog.AnnouncementRefused(_log, e.Message);
                return;
            }
            catch (Exception e)
            {
                // RegistryUnavailableException: unreachable, stalled or refusing writes for now (a timeout of the
                // registry's own call lands here too). Anything else a registry provider throws is retried the same
                // way: this loop runs unobserved in the background and must not end without a word.
                Interlocked.Increment(ref _failures);
                reason = e is RegistryUnavailableException ? e.Message : e.GetType().Name + ": " + e.Message;
            }
            var wait = backoff.Next();
            long now = Stopwatch.GetTimestamp();
            if (lastLine == 0 || Stopwatch.GetElapsedTime(lastLine, now) >= LogInterval)
            {
                HostingLog.AnnouncementNotPublished(_log, reason, attempt, (long)wait.TotalMilliseconds, notLogged);
                lastLine = now;
                notLogged = 0;
            }
            else
            {
                notLogged++;
            }
            try
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Stop()
    {
        lock (_gate)
        {
            if (_stopped.IsCancellationRequested) return;
            _stopped.Cancel();
            _current?.Dispose();
            _current = null;
        }
    }

    /// <summary>Ends any publication still retrying.</summary>
    public void Dispose()
    {
        _hostStopping.Dispose();
        Stop();
    }
}
