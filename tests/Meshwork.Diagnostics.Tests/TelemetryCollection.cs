namespace Meshwork.Diagnostics.Tests;

/// <summary>
/// Activity and meter listeners are process-wide: tests that install them must not run alongside each other, or one
/// test would see another's spans and measurements (and the "nobody listens" test would see listeners).
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}
