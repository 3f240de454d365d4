namespace Meshwork.Governance.Balancing;

/// <summary>Round robin: each endpoint in turn, starting at a random one so that many clients do not all start on the first.</summary>
public sealed class RoundRobinBalancer : ILoadBalancer
{
    /// <inheritdoc />
    public string Name => "round-robin";

    /// <inheritdoc />
    public IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints) => new Picker(endpoints.ToArray());

    private sealed class Picker(InstanceEndpoint[] endpoints) : IPicker
    {
        private int _next = Random.Shared.Next();

        public InstanceEndpoint Pick(in PickContext context) =>
            endpoints[(int)((uint)Interlocked.Increment(ref _next) % (uint)endpoints.Length)];
    }
}

/// <summary>Uniformly random: stateless, no coordination, good enough when calls are alike.</summary>
public sealed class RandomBalancer : ILoadBalancer
{
    /// <inheritdoc />
    public string Name => "random";

    /// <inheritdoc />
    public IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints) => new Picker(endpoints.ToArray());

    private sealed class Picker(InstanceEndpoint[] endpoints) : IPicker
    {
        public InstanceEndpoint Pick(in PickContext context) => endpoints[Random.Shared.Next(endpoints.Length)];
    }
}

/// <summary>The endpoint with the fewest calls in flight; ties broken from a random start so idle endpoints share the load.</summary>
public sealed class LeastOutstandingBalancer : ILoadBalancer
{
    /// <inheritdoc />
    public string Name => "least-outstanding";

    /// <inheritdoc />
    public IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints) => new Picker(endpoints.ToArray());

    private sealed class Picker(InstanceEndpoint[] endpoints) : IPicker
    {
        public InstanceEndpoint Pick(in PickContext context)
        {
            int n = endpoints.Length;
            int start = Random.Shared.Next(n);
            var best = endpoints[start];
            int bestLoad = best.Outstanding;
            for (int i = 1; i < n && bestLoad > 0; i++)
            {
                var e = endpoints[(start + i) % n];
                int load = e.Outstanding;
                if (load < bestLoad)
                {
                    best = e;
                    bestLoad = load;
                }
            }
            return best;
        }
    }
}

/// <summary>
/// Power of two choices over latency (the default): sample two distinct endpoints at random and take the one with
/// the lower cost, cost = (EWMA latency + 1 µs) × (calls in flight + 1). Two random choices avoid the herd
/// behaviour of "always the best" while still steering away from slow or overloaded instances; new endpoints
/// (no latency yet) look cheap and get probed at once.
/// </summary>
public sealed class PowerOfTwoChoicesBalancer : ILoadBalancer
{
    /// <inheritdoc />
    public string Name => "p2c";

    /// <inheritdoc />
    public IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints) => new Picker(endpoints.ToArray());

    private sealed class Picker(InstanceEndpoint[] endpoints) : IPicker
    {
        public InstanceEndpoint Pick(in PickContext context)
        {
            int n = endpoints.Length;
            if (n == 1) return endpoints[0];
            int a = Random.Shared.Next(n);
            int b = Random.Shared.Next(n - 1);
            if (b >= a) b++;
            var x = endpoints[a];
            var y = endpoints[b];
            return Cost(x) <= Cost(y) ? x : y;
        }

        private static double Cost(InstanceEndpoint e) => (e.LatencyEwmaMicros + 1) * (e.Outstanding + 1);
    }
}
