using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Coordinates;

/// <summary>A Vivaldi network coordinate (serf's coordinate.Coordinate): Euclidean part, height, adjustment, error.</summary>
public sealed class Coordinate
{
    internal const double ZeroThreshold = 1.0e-6;

    /// <summary>Creates a coordinate from its four parts (see the properties).</summary>
    public Coordinate(double[] vec, double error, double adjustment, double height)
    {
        Vec = vec;
        Error = error;
        Adjustment = adjustment;
        Height = height;
    }

    /// <summary>Position in the Euclidean part of the space (serf: 8 dimensions), in seconds.</summary>
    public double[] Vec { get; }

    /// <summary>Confidence in the position: an error estimate in seconds (large for a fresh coordinate).</summary>
    public double Error { get; }

    /// <summary>Offset in seconds added to every distance from this node, learned from the error of recent estimates.</summary>
    public double Adjustment { get; }

    /// <summary>Non-Euclidean height in seconds: the latency of this node's own access link.</summary>
    public double Height { get; }

    /// <summary>A fresh coordinate at the origin with maximal error.</summary>
    public static Coordinate Origin(VivaldiOptions o) => new(new double[o.Dimensionality], o.VivaldiErrorMax, 0, o.HeightMin);

    /// <summary>True when every component is a finite number (a peer may send NaN or infinities).</summary>
    public bool IsValid => Vec.All(double.IsFinite) && double.IsFinite(Error) && double.IsFinite(Adjustment) && double.IsFinite(Height);

    /// <summary>Estimated round-trip time to <paramref name="other"/>.</summary>
    public TimeSpan DistanceTo(Coordinate other)
    {
        var dist = RawDistanceTo(other);
        var adjusted = dist + Adjustment + other.Adjustment;
        if (adjusted > 0) { dist = adjusted; }
        return TimeSpan.FromTicks((long)(dist * TimeSpan.TicksPerSecond));
    }

    internal double RawDistanceTo(Coordinate other) => Magnitude(Diff(Vec, other.Vec)) + Height + other.Height;

    internal Coordinate With(double[]? vec = null, double? error = null, double? adjustment = null, double? height = null) =>
        new(vec ?? (double[])Vec.Clone(), error ?? Error, adjustment ?? Adjustment, height ?? Height);

    /// <summary>Moves this coordinate by <paramref name="force"/> seconds away from <paramref name="other"/>.</summary>
    internal Coordinate ApplyForce(VivaldiOptions o, double force, Coordinate other, Random random)
    {
        var (unit, mag) = UnitVectorAt(Vec, other.Vec, random);
        var vec = new double[Vec.Length];
        for (var i = 0; i < vec.Length; i++) { vec[i] = Vec[i] + unit[i] * force; }
        var height = Height;
        if (mag > ZeroThreshold)
        {
            height = Math.Max((Height + other.Height) * force / mag + Height, o.HeightMin);
        }
        return new Coordinate(vec, Error, Adjustment, height);
    }

    private static double[] Diff(double[] a, double[] b)
    {
        var r = new double[a.Length];
        for (var i = 0; i < r.Length; i++) { r[i] = a[i] - b[i]; }
        return r;
    }

    private static double Magnitude(double[] v) => Math.Sqrt(v.Sum(x => x * x));

    private static (double[] Unit, double Mag) UnitVectorAt(double[] a, double[] b, Random random)
    {
        var d = Diff(a, b);
        var mag = Magnitude(d);
        if (mag > ZeroThreshold) { return (d.Select(x => x / mag).ToArray(), mag); }
        for (var i = 0; i < d.Length; i++) { d[i] = random.NextDouble() - 0.5; }
        mag = Magnitude(d);
        if (mag > ZeroThreshold) { return (d.Select(x => x / mag).ToArray(), 0); }
        var unit = new double[d.Length];
        unit[0] = 1;
        return (unit, 0);
    }

    /// <summary>msgpack map {Adjustment, Error, Height, Vec} as serf encodes it.</summary>
    internal void Write(MsgPackWriter w)
    {
        w.WriteMapHeader(4);
        w.Key("Adjustment"); w.WriteDouble(Adjustment);
        w.Key("Error"); w.WriteDouble(Error);
        w.Key("Height"); w.WriteDouble(Height);
        w.Key("Vec");
        w.WriteArrayHeader(Vec.Length);
        foreach (var x in Vec) { w.WriteDouble(x); }
    }

    internal static Coordinate Read(ref MsgPackReader r)
    {
        double adj = 0, err = 0, height = 0;
        var vec = Array.Empty<double>();
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            switch (r.ReadString())
            {
                case "Adjustment": adj = r.ReadDouble(); break;
                case "Error": err = r.ReadDouble(); break;
                case "Height": height = r.ReadDouble(); break;
                case "Vec":
                    var n = r.ReadArrayHeader();
                    vec = new double[Math.Max(0, n)];
                    for (var j = 0; j < vec.Length; j++) { vec[j] = r.ReadDouble(); }
                    break;
                default: r.Skip(); break;
            }
        }
        return new Coordinate(vec, err, adj, height);
    }
}
