using Meshwork.Governance.Server;

namespace Meshwork.Health;

/// <summary>
/// Whether this process wants new work. It starts ready; a drain makes it not ready for good, before the server
/// deregisters and sends go-away, so readiness probes and health-aware balancers move traffic while calls still succeed.
/// </summary>
public sealed class Readiness
{
    private string? _notReadyReason;

    /// <summary>False once <see cref="MarkDraining"/> ran.</summary>
    public bool IsReady => Volatile.Read(ref _notReadyReason) is null;

    /// <summary>Why the process is not ready (null while ready).</summary>
    public string? Reason => Volatile.Read(ref _notReadyReason);

    /// <summary>Raised once when the process stops being ready.</summary>
    public event EventHandler? Changed;

    /// <summary>Marks the process as draining; later calls keep the first reason.</summary>
    public void MarkDraining(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (Interlocked.CompareExchange(ref _notReadyReason, reason, null) is null) Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <summary>Turns readiness false as soon as <paramref name="server"/> starts its drain.</summary>
    public void TrackDrain(DiscoverableServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        server.DrainStarting += (_, _) => MarkDraining($"draining server {server.Server.Name}");
    }
}
