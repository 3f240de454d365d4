namespace Meshwork.Gateway.Dashboard;

/// <summary>Settings of the web dashboard; each default is documented with its reason. <see cref="Validate"/> runs when the dashboard is created.</summary>
public sealed class DashboardOptions
{
    /// <summary>Where the dashboard is served (<c>{PathPrefix}/</c>, its API under <c>{PathPrefix}/api</c>). Default <c>/dashboard</c>.</summary>
    public string PathPrefix { get; set; } = "/dashboard";

    /// <summary>Services whose instances (and breaker states) are shown. Default none; the registry cannot list services, only resolve them.</summary>
    public IList<string> Services { get; } = new List<string>();

    /// <summary>How often a snapshot is pushed to open pages. Default 1 s: live to the eye, one small JSON message per second per page.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Window of the per-method call rate, error rate and latency percentiles. Default 10 s: smooth, and a change shows within seconds.</summary>
    public TimeSpan MethodWindow { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Methods tracked for the charts; calls of further methods are not charted. Default 256: bounds the memory a caller inventing method names could take.</summary>
    public int MaxTrackedMethods { get; set; } = 256;

    /// <summary>Recent events kept and replayed to a page when it opens. Default 200: about a screen of history.</summary>
    public int MaxEvents { get; set; } = 200;

    /// <summary>Pages that may stream at once; more get 503. Default 64: a team's worth of operators, bounded memory.</summary>
    public int MaxClients { get; set; } = 64;

    /// <summary>Messages queued for one slow page before the oldest are dropped. Default 256: a few minutes of snapshots; a stalled browser costs bounded memory.</summary>
    public int ClientQueueCapacity { get; set; } = 256;

    /// <summary>
    /// Read the node's serf event stream to show user events and queries. Default false: that stream has a single
    /// reader, and the application may be it; member joins, leaves and failures are shown either way (from membership
    /// changes). Applications that read the stream themselves can pass events on with <see cref="MeshworkDashboard.Publish"/>.
    /// </summary>
    public bool ReadSerfEvents { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string t = nameof(DashboardOptions);
        if (string.IsNullOrEmpty(PathPrefix) || !PathPrefix.StartsWith('/') || PathPrefix.Length > 1 && PathPrefix.EndsWith('/'))
        {
            throw new ArgumentException($"{t}.PathPrefix must start with '/' and not end with one (was '{PathPrefix}')");
        }
        if (RefreshInterval < TimeSpan.FromMilliseconds(100)) throw new ArgumentException($"{t}.RefreshInterval must be at least 100 ms (was {RefreshInterval})");
        if (MethodWindow < TimeSpan.FromSeconds(1) || MethodWindow > TimeSpan.FromSeconds(60)) throw new ArgumentException($"{t}.MethodWindow must be between 1 and 60 s (was {MethodWindow})");
        if (MaxTrackedMethods < 1) throw new ArgumentException($"{t}.MaxTrackedMethods must be at least 1 (was {MaxTrackedMethods})");
        if (MaxEvents < 1) throw new ArgumentException($"{t}.MaxEvents must be at least 1 (was {MaxEvents})");
        if (MaxClients < 1) throw new ArgumentException($"{t}.MaxClients must be at least 1 (was {MaxClients})");
        if (ClientQueueCapacity < 4) throw new ArgumentException($"{t}.ClientQueueCapacity must be at least 4 (was {ClientQueueCapacity})");
    }
}
