namespace Meshwork.Serf.Coordinates;

/// <summary>Vivaldi tuning; defaults are serf's coordinate.DefaultConfig (which the agent uses).</summary>
public sealed class VivaldiOptions
{
    /// <summary>Euclidean dimensions. Default 8; must match the cluster (serf rejects other sizes).</summary>
    public int Dimensionality { get; set; } = 8;

    /// <summary>Maximum (and initial) error. Default 1.5.</summary>
    public double VivaldiErrorMax { get; set; } = 1.5;

    /// <summary>Error-update gain. Default 0.25.</summary>
    public double VivaldiCE { get; set; } = 0.25;

    /// <summary>Coordinate-update gain. Default 0.25.</summary>
    public double VivaldiCC { get; set; } = 0.25;

    /// <summary>Samples averaged into the adjustment term (0 disables). Default 20.</summary>
    public int AdjustmentWindowSize { get; set; } = 20;

    /// <summary>Minimum height, seconds. Default 10 µs.</summary>
    public double HeightMin { get; set; } = 10.0e-6;

    /// <summary>Median filter length per peer for RTT samples. Default 3.</summary>
    public int LatencyFilterSize { get; set; } = 3;

    /// <summary>Gravity pulling coordinates towards the origin (seconds). Default 150.</summary>
    public double GravityRho { get; set; } = 150.0;
}
