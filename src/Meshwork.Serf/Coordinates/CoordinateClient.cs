namespace Meshwork.Serf.Coordinates;

/// <summary>Maintains this node's Vivaldi coordinate from RTT observations (serf's coordinate.Client).</summary>
internal sealed class CoordinateClient(VivaldiOptions options, Random random)
{
    private readonly Dictionary<string, List<double>> _latency = new(StringComparer.Ordinal);
    private readonly double[] _adjustmentSamples = new double[Math.Max(0, options.AdjustmentWindowSize)];
    private readonly Coordinate _origin = Coordinate.Origin(options);
    private int _adjustmentIndex;

    /// <summary>Current coordinate.</summary>
    public Coordinate Coordinate { get; private set; } = Coordinate.Origin(options);

    /// <summary>Number of times the coordinate was reset because it became invalid.</summary>
    public int Resets { get; private set; }

    /// <summary>Folds in one observation: <paramref name="node"/> at <paramref name="other"/> answered in <paramref name="rtt"/>.</summary>
    public Coordinate Update(string node, Coordinate other, TimeSpan rtt)
    {
        if (other.Vec.Length != options.Dimensionality) { throw new ArgumentException("coordinate dimensionality does not match"); }
        if (!other.IsValid) { throw new ArgumentException("invalid coordinate"); }
        if (rtt < TimeSpan.Zero || rtt > TimeSpan.FromSeconds(10)) { throw new ArgumentOutOfRangeException(nameof(rtt), "round trip time not in valid range"); }
        var seconds = LatencyFilter(node, rtt.TotalSeconds);
        UpdateVivaldi(other, seconds);
        UpdateAdjustment(other, seconds);
        UpdateGravity();
        if (!Coordinate.IsValid)
        {
            Resets++;
            Coordinate = Coordinate.Origin(options);
        }
        return Coordinate;
    }

    private double LatencyFilter(string node, double rtt)
    {
        if (!_latency.TryGetValue(node, out var samples)) { _latency[node] = samples = []; }
        samples.Add(rtt);
        if (samples.Count > options.LatencyFilterSize) { samples.RemoveAt(0); }
        var sorted = samples.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private void UpdateVivaldi(Coordinate other, double rtt)
    {
        var dist = Coordinate.DistanceTo(other).TotalSeconds;
        rtt = Math.Max(rtt, Coordinate.ZeroThreshold);
        var wrongness = Math.Abs(dist - rtt) / rtt;
        var totalError = Math.Max(Coordinate.Error + other.Error, Coordinate.ZeroThreshold);
        var weight = Coordinate.Error / totalError;
        var error = Math.Min(options.VivaldiCE * weight * wrongness + Coordinate.Error * (1.0 - options.VivaldiCE * weight), options.VivaldiErrorMax);
        var force = options.VivaldiCC * weight * (rtt - dist);
        Coordinate = Coordinate.With(error: error).ApplyForce(options, force, other, random);
    }

    private void UpdateAdjustment(Coordinate other, double rtt)
    {
        if (_adjustmentSamples.Length == 0) { return; }
        _adjustmentSamples[_adjustmentIndex] = rtt - Coordinate.RawDistanceTo(other);
        _adjustmentIndex = (_adjustmentIndex + 1) % _adjustmentSamples.Length;
        Coordinate = Coordinate.With(adjustment: _adjustmentSamples.Sum() / (2.0 * _adjustmentSamples.Length));
    }

    private void UpdateGravity()
    {
        var dist = _origin.DistanceTo(Coordinate).TotalSeconds;
        var force = -1.0 * Math.Pow(dist / options.GravityRho, 2.0);
        Coordinate = Coordinate.ApplyForce(options, force, _origin, random);
    }

    /// <summary>Forgets per-node filter state (when a member is reaped).</summary>
    public void Forget(string node) => _latency.Remove(node);
}
