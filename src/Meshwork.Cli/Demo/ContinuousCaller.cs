using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Cli.Demo;

/// <summary>
/// Keeps making idempotent unary calls through the governed client (discovery, balancer, fail-over) at a steady pace
/// while the demo drains or kills a node, and tallies each call's outcome under the phase that was current when the
/// call started. The node that answered is read from the reply, since the balancer, not the caller, picks it.
/// </summary>
internal sealed class ContinuousCaller : IAsyncDisposable
{
    /// <summary>One call per interval and worker: enough to see every node many times a second, light enough not to starve gossip on a small machine.</summary>
    private static readonly TimeSpan Pace = TimeSpan.FromMilliseconds(4);

    /// <summary>
    /// Concurrent callers. More than one, so that calls overlap: P2C weighs latency by calls in flight, and with
    /// overlapping calls it keeps sending some to every node (a lone sequential caller lets P2C settle on the two
    /// fastest nodes and never try the third, which would make the kill of that node prove nothing).
    /// </summary>
    private const int Workers = 8;

    /// <summary>Budget of one call, all fail-over attempts included: generous, so only a real loss fails a call.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(10);

    private readonly CallInvoker _invoker;
    private readonly Dictionary<string, Tally> _tallies = new();
    private readonly ChangeSignal _called = new();
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _loops;
    private volatile string _phase;

    public ContinuousCaller(CallInvoker invoker, string firstPhase, CancellationToken ct)
    {
        // Instrumented: the dashboard and the live status show calls per second, errors and p99 from the client's side.
        _invoker = new Diagnostics.InstrumentedCallInvoker(invoker);
        _phase = firstPhase;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _loops = Enumerable.Range(0, Workers).Select(_ => Task.Run(LoopAsync)).ToArray();
    }

    /// <summary>Outcomes of the calls that started in one phase.</summary>
    public sealed class Tally
    {
        public int Ok { get; internal set; }
        public int Failed { get; internal set; }
        public string? FirstError { get; internal set; }
        public Dictionary<string, int> OkByNode { get; } = new();
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
            }
            return copy;
        }
    }

    /// <summary>Waits until the tally of <paramref name="phase"/> satisfies <paramref name="condition"/>; false on timeout.</summary>
    public Task<bool> WaitAsync(string phase, Func<Tally, bool> condition, TimeSpan timeout, CancellationToken ct) =>
        _called.WaitAsync(() => condition(Snapshot(phase)), timeout, ct);

    /// <summary>The node named in a <see cref="DemoContract.Greet"/> reply ("hello x, from node-2").</summary>
    public static string NodeOf(string reply) => reply[(reply.LastIndexOf(' ') + 1)..];

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Pace);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                string phase = _phase; // read before the call: a call is tallied under the phase it started in
                string? node = null;
                string? error = null;
                try
                {
                    node = NodeOf(await _invoker.UnaryAsync(DemoContract.Greet, "steady-caller", new CallOptions { Timeout = CallTimeout, CancellationToken = _stop.Token }));
                }
                catch (RpcException ex) when (!_stop.IsCancellationRequested)
                {
                    error = $"{ex.Status}: {ex.Message}";
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested && ex is not OperationCanceledException)
                {
                    error = $"{ex.GetType().Name}: {ex.Message}"; // counted as a failed call, never crashes the demo
                }
                Record(phase, node, error);
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (RpcException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Record(string phase, string? node, string? error)
    {
        lock (_tallies)
        {
            if (!_tallies.TryGetValue(phase, out var t)) _tallies[phase] = t = new Tally();
            if (error is null && node is not null)
            {
                t.Ok++;
                t.OkByNode[node] = t.OkByNode.GetValueOrDefault(node) + 1;
            }
            else
            {
                t.Failed++;
                t.FirstError ??= error;
            }
        }
        _called.Pulse();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        _stop.Dispose();
    }
}
