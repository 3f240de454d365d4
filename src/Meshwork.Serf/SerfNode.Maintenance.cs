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

    private async Task ReconnectLoopAsync()
    {
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                await Task.Delay(Options.ReconnectInterval, _cts.Token).ConfigureAwait(false);
                IPEndPoint? target;
                lock (_gossip.StateLock) { target = _core.PickReconnectTarget(Random.Shared); }
                if (target is null) { continue; }
                SerfLog.Reconnecting(_log, target);
                try { await _gossip.JoinAsync([target], _cts.Token).ConfigureAwait(false); }
                catch (Exception e) when (e is not OperationCanceledException) { }
            }
        }
        catch (OperationCanceledException) { }
    }
}
