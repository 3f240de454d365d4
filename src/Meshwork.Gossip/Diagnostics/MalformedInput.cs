namespace Meshwork.Gossip.Diagnostics;

/// <summary>One piece of input that was dropped because it is malformed or violates an invariant of the Go peers.</summary>
/// <param name="Kind">Stable kind name (a metric label), e.g. <see cref="MalformedInputKinds.Vsn"/>.</param>
/// <param name="Detail">Human-readable reason, e.g. "Vsn has 3 bytes (must be 6)".</param>
public readonly record struct MalformedInput(string Kind, string Detail);
