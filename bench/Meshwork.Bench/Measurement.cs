namespace Meshwork.Bench;

/// <summary>
/// What one system did in one cell, summed over the cell's rounds: calls (in the latency histogram), measured seconds,
/// bytes allocated by the client and by the server process, the server's collections, and both processes' CPU time,
/// thread-pool work items, context switches and collector pauses (<see cref="ProcessCounters"/>).
/// </summary>
internal sealed class Measurement
{
    public LatencyHistogram Latencies { get; } = new();
    public double Seconds { get; set; }
    public long ClientBytes { get; set; }
    public long ServerBytes { get; set; }
    public int ServerGen0 { get; set; }
    public int ServerGen1 { get; set; }
    public int ServerGen2 { get; set; }
    public ProcessCounters ClientProcess { get; set; }
    public ProcessCounters ServerProcess { get; set; }

    public Result ToResult(string system, int connections, int concurrency, double loadAverage)
    {
        var l = Latencies;
        double calls = Math.Max(1, l.Count);
        return new Result(system, connections, concurrency, l.Count / Seconds, l.Quantile(0.5) / 1000.0, l.Quantile(0.99) / 1000.0,
            l.Quantile(0.999) / 1000.0, ClientBytes / calls, ServerBytes / calls, ServerGen0, ServerGen1, ServerGen2, loadAverage)
        {
            ClientCpuMicrosPerCall = ClientProcess.CpuMicros / calls,
            ServerCpuMicrosPerCall = ServerProcess.CpuMicros / calls,
            ClientWorkItemsPerCall = ClientProcess.WorkItems / calls,
            ServerWorkItemsPerCall = ServerProcess.WorkItems / calls,
            ClientSwitchesPerCall = (ClientProcess.VoluntarySwitches + ClientProcess.InvoluntarySwitches) / calls,
            ServerSwitchesPerCall = (ServerProcess.VoluntarySwitches + ServerProcess.InvoluntarySwitches) / calls,
            ClientCollections = ClientProcess.Collections,
            ClientGcPauseShare = ClientProcess.GcPauseMicros / (Seconds * 1e6),
            ServerGcPauseShare = ServerProcess.GcPauseMicros / (Seconds * 1e6),
            ClientMeanGcPauseMicros = ClientProcess.GcPauseMicros / Math.Max(1, ClientProcess.Collections),
            ServerMeanGcPauseMicros = ServerProcess.GcPauseMicros / Math.Max(1, ServerProcess.Collections),
        };
    }
}
