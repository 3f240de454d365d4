using Meshwork.Discovery;

namespace Meshwork.Governance.Balancing;

/// <summary>
/// Nearest first by estimated round-trip time (from the Vivaldi coordinates the Serf layer keeps, via
/// <see cref="IRttEstimator"/>): the endpoints whose estimate is within <see cref="Tolerance"/> of the nearest share
/// the calls at random, so one nearby instance is not flooded while equally near ones idle. Endpoints without an
/// estimate are used only when none has one.
/// </summary>
public sealed class CoordinateAwareBalancer : ILoadBalancer
{
    private readonly IRttEstimator _estimator;

    /// <summary>Creates the balancer over <paramref name="estimator"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A negative tolerance.</exception>
    public CoordinateAwareBalancer(IRttEstimator estimator, TimeSpan? tolerance = null)
    {
        ArgumentNullException.ThrowIfNull(estimator);
        _estimator = estimator;
        Tolerance = tolerance ?? DefaultTolerance;
        if (Tolerance < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "the tolerance cannot be negative");
    }

    /// <summary>Default 1 ms: below what separates racks or zones, above the noise of Vivaldi estimates on one LAN.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMilliseconds(1);

    /// <summary>How much farther than the nearest an endpoint may be and still share the calls.</summary>
    public TimeSpan Tolerance { get; }

    /// <inheritdoc />
    public string Name => "nearest";

    /// <inheritdoc />
    public IPicker CreatePicker(IReadOnlyList<InstanceEndpoint> endpoints) => new Picker(endpoints.ToArray(), _estimator, Tolerance.TotalMicroseconds);

    private sealed class Picker(InstanceEndpoint[] endpoints, IRttEstimator estimator, double toleranceMicros) : IPicker
    {
        public InstanceEndpoint Pick(in PickContext context)
        {
            int n = endpoints.Length;
            Span<double> rtt = n <= 64 ? stackalloc double[n] : new double[n];
            double best = double.PositiveInfinity;
            for (int i = 0; i < n; i++)
            {
                rtt[i] = estimator.EstimateRtt(endpoints[i].Instance)?.TotalMicroseconds ?? double.PositiveInfinity;
                if (rtt[i] < best) best = rtt[i];
            }
            if (double.IsPositiveInfinity(best)) return endpoints[Random.Shared.Next(n)];
            // Reservoir sampling over the near set: uniform among them without a second array.
            InstanceEndpoint? chosen = null;
            int seen = 0;
            for (int i = 0; i < n; i++)
            {
                if (rtt[i] <= best + toleranceMicros && Random.Shared.Next(++seen) == 0) chosen = endpoints[i];
            }
            return chosen!;
        }
    }
}
