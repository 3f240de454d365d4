using System.Net;

namespace Meshwork.Serf;

/// <summary>Background upkeep: snapshot flushing and rejoin, reaping, reconnects to failed members.</summary>
public sealed partial class SerfNode
{
    private async Task RejoinFromSnapshotAsync(SnapshotState prev)
    {
        foreach (var (name, ep) in prev.AliveNodes)
        {
            if (name == Name || _cts.IsCancellationRequested) { continue; }
            try
            {
                await JoinAsync([ep], ignoreOldEvents: false, _cts.Token).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException) { }
        }
    }

    private async Task SnapshotLoopAsync()
    {
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(500), _cts.Token).ConfigureAwait(false);
                lock (_gossip.StateLock) { _snapshot!.UpdateClock(_core.Clock.Time); }
                try { await _snapshot!.FlushAsync().ConfigureAwait(false); }
                catch (IOException e) { SerfLog.SnapshotFailed(_log, e); }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task ReapLoopAsync()
    {
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                await Task.Delay(Options.ReapInterval, _cts.Token).ConfigureAwait(false);
                lock (_gossip.StateLock) { _core.Reap(); }
            }
        }
        catch (OperationCanceledException) { }
    }

    private readonly Dictionary<string, (int Attempts, TimeSpan Last)> _reconnectHistory = new(StringComparer.Ordinal);

    /// <summary>Reconnect rounds as the <see cref="ReconnectDelegate"/> decides them (see <see cref="IReconnectDelegate"/>).</summary>
    private async Task ReconnectLoopAsync()
    {
        var random = new Random();
        while (!_cts.IsCancellationRequested)
        {
            try
            {
                var delay = ReconnectDelegate.NextRoundDelay();
                if (delay <= TimeSpan.Zero) { throw new InvalidOperationException($"NextRoundDelay returned {delay}; it must be positive"); }
                await Task.Delay(delay, _cts.Token).ConfigureAwait(false);
                await ReconnectRoundAsync(random).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested) { return; }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A faulty policy must not end reconnects for good: log, wait the fallback interval, carry on.
                Interlocked.Increment(ref _reconnectDelegateFailures);
                SerfLog.ReconnectDelegateFailed(_log, e.GetType().Name, e.Message);
                try { await Task.Delay(Options.ReconnectInterval, _cts.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private long _reconnectDelegateFailures;

    private async Task ReconnectRoundAsync(Random random)
    {
        ReconnectRound round;
        IReadOnlyList<ReconnectCandidate> targets;
        lock (_gossip.StateLock)
        {
            round = _core.BuildReconnectRound(_reconnectHistory, random);
            // Forget members that are no longer failed: a member that fails again starts a fresh history.
            foreach (var name in _reconnectHistory.Keys.Where(n => round.Failed.All(f => f.Member.Name != n)).ToList()) { _reconnectHistory.Remove(name); }
            targets = round.Failed.Count == 0 ? [] : ReconnectDelegate.SelectTargets(round);
        }
        var tried = 0;
        foreach (var target in targets)
        {
            if (tried++ >= ReconnectLimits.MaxAttemptsPerRound || _cts.IsCancellationRequested) { break; }
            if (round.Failed.All(f => f.Member.Name != target.Member.Name)) { continue; }
            var address = new IPEndPoint(target.Member.Address, target.Member.Port);
            SerfLog.Reconnecting(_log, address);
            Exception? error = null;
            try { await _gossip.JoinAsync([address], _cts.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (_cts.IsCancellationRequested) { throw; }
            catch (Exception e) { error = e; }
            lock (_gossip.StateLock)
            {
                var attempts = _reconnectHistory.TryGetValue(target.Member.Name, out var h) ? h.Attempts : 0;
                _reconnectHistory[target.Member.Name] = (attempts + 1, _core.ClockNow);
            }
            Interlocked.Increment(ref _reconnectAttempts);
            ReconnectDelegate.NotifyAttempt(target, error);
        }
    }

    private long _reconnectAttempts;

    /// <summary>Reconnect attempts made so far (push/pull joins to failed members).</summary>
    public long ReconnectAttempts => Interlocked.Read(ref _reconnectAttempts);

    /// <summary>Exceptions thrown by the <see cref="ReconnectDelegate"/>, each of which skipped a round.</summary>
    public long ReconnectDelegateFailures => Interlocked.Read(ref _reconnectDelegateFailures);

    /// <summary>The reconnect policy in use: <see cref="SerfOptions.ReconnectDelegate"/>, or serf's rule with <see cref="SerfOptions.ReconnectInterval"/>.</summary>
    public IReconnectDelegate ReconnectDelegate => _reconnectDelegate ??= Options.ReconnectDelegate ?? new SerfReconnectDelegate(Options.ReconnectInterval);

    private IReconnectDelegate? _reconnectDelegate;
}
