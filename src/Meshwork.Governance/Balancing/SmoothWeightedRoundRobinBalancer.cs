namespace Meshwork.Governance.Balancing;

/// <summary>
/// Smooth weighted round robin (nginx's algorithm): each pick adds every endpoint's weight to its running score,
/// takes the highest score and subtracts the total weight from it. Over any window of total-weight picks each
/// endpoint gets exactly its share, and heavy endpoints are interleaved with light ones rather than bunched.
/// </summary>
public sealed class SmoothWeightedRoundRobinBalancer : ILoadBalancer
{
    /// <inheritdoc />
    public string Name => "weighted-round-robin";

    /// <inheritdoc />
    public IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints) => new Picker(endpoints.ToArray());

    private sealed class Picker : IPicker
    {
        private readonly InstanceEndpoint[] _endpoints;
        private readonly int[] _weights;
        private readonly long[] _current;
        private readonly long _total;
        private readonly Lock _gate = new();

        public Picker(InstanceEndpoint[] endpoints)
        {
            _endpoints = endpoints;
            _weights = endpoints.Select(e => e.Instance.Weight).ToArray();
            _current = new long[endpoints.Length];
            _total = _weights.Sum(w => (long)w);
        }

        public InstanceEndpoint Pick(in PickContext context)
        {
            // A short critical section: the state is a handful of longs and the algorithm needs them consistent.
            lock (_gate)
            {
                int best = 0;
                for (int i = 0; i < _current.Length; i++)
                {
                    _current[i] += _weights[i];
                    if (_current[i] > _current[best]) best = i;
                }
                _current[best] -= _total;
                return _endpoints[best];
            }
        }
    }
}
