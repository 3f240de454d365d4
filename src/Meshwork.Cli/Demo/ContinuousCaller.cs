using Meshwork.Rpc;

namespace Meshwork.Cli.Demo;

/// <summary>
/// Keeps making unary calls over the gossip-discovered endpoints at a steady pace while the demo drains or kills a
/// node, and tallies each call's outcome under the phase that was current when the call started.
/// </summary>
internal sealed class ContinuousCaller : IAsyncDisposable
{
    /// <summary>One call per interval: enough to see every node many times a second, light enough not to starve gossip on a small machine.</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(4);

    private readonly GossipEndpoints _endpoints;
    private readonly Dictionary<string, Tally> _tallies = new();
    private readonly ChangeSignal _called = new();
    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;
    private volatile string _phase;

    public ContinuousCaller(GossipEndpoints endpoints, string firstPhase, CancellationToken ct)
    {
        _endpoints = endpoints;
        _phase = firstPhase;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Outcomes of the calls that started in one phase.</summary>
    public sealed class Tally
    {
        public int Ok { get; internal set; }
        public int Failed { get; internal set; }
        public string? FirstError { get; internal set; }
        public Dictionary<string, int> OkByNode { get; } = new();
        public Dictionary<string, int> FailedByNode { get; } = new();
    }

    /// <summary>Calls started from now on are tallied under <paramref name="phase"/>.</summary>
    public void BeginPhase(string phase) => _phase = phase;

    /// <summary>A copy of one phase's tally.</summary>
    public Tally Snapshot(string phase)
    {
        lock (_tallies)
        {
            var copy = new Tally();
            if (_tallies.TryGetValue(phase, out var t))
            {
                copy.Ok = t.Ok;
                copy.Failed = t.Failed;
                copy.FirstError = t.FirstError;
                foreach (var (k, v) in t.OkByNode) copy.OkByNode[k] = v;
                foreach (var (k, v) in t.FailedByNode) copy.FailedByNode[k] = v;
            }
            return copy;
        }
    }

    /// <summary>Waits until the tally of <paramref name="phase"/> satisfies <paramref name="condition"/>; false on timeout.</summary>
    public Task<bool> WaitAsync(string phase, Func<Tally, bool> condition, TimeSpan timeout, CancellationToken ct) =>
        _called.WaitAsync(() => condition(Snapshot(phase)), timeout, ct);

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Pace);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                string phase = _phase; // read before picking the node: a call tallied under a phase picked its node in it
                string node = "(none)";
                string? error = null;
                try
                {
                    (node, var channel) = _endpoints.Next();
                    await channel.UnaryAsync(DemoContract.Greet, "steady-caller");
                }
                catch (RpcException ex)
                {
                    error = $"{ex.Status}: {ex.Message}";
                }
                Record(phase, node, error);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Record(string phase, string node, string? error)
    {
        lock (_tallies)
        {
            if (!_tallies.TryGetValue(phase, out var t)) _tallies[phase] = t = new Tally();
            if (error is null)
            {
                t.Ok++;
                t.OkByNode[node] = t.OkByNode.GetValueOrDefault(node) + 1;
            }
            else
            {
                t.Failed++;
                t.FailedByNode[node] = t.FailedByNode.GetValueOrDefault(node) + 1;
                t.FirstError ??= error;
            }
        }
        _called.Pulse();
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        await _loop;
        _stop.Dispose();
    }
}
