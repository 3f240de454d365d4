using System.Text.Json.Serialization;

namespace Meshwork.Bench;

/// <summary>
/// One cell of the matrix for one system. Bytes per call are allocation deltas over the measured window (warm-up
/// excluded) divided by the calls the client completed in it: client and server process separately.
/// <see cref="ShareOfBare"/> is this system's requests/s over the bare echo's in the same cell (null if the bare echo
/// did not run). <see cref="LoadAverage"/> is the machine's 1-minute load average when the cell ended.
/// </summary>
internal sealed record Result(
    string System, int Connections, int Concurrency, double RequestsPerSecond, double P50Micros, double P99Micros, double P999Micros,
    double ClientBytesPerCall, double ServerBytesPerCall, int ServerGen0, int ServerGen1, int ServerGen2, double LoadAverage)
{
    public double? ShareOfBare { get; set; }

    /// <summary>CPU time (user + system) of the client process per call, µs; includes the load generator's own loop.</summary>
    public double ClientCpuMicrosPerCall { get; init; }
    /// <summary>CPU time (user + system) of the server process per call, µs.</summary>
    public double ServerCpuMicrosPerCall { get; init; }
    /// <summary>Thread-pool work items completed in the client process per call.</summary>
    public double ClientWorkItemsPerCall { get; init; }
    /// <summary>Thread-pool work items completed in the server process per call.</summary>
    public double ServerWorkItemsPerCall { get; init; }
    /// <summary>Context switches (voluntary + involuntary) of the client process per call: wake-ups and preemptions.</summary>
    public double ClientSwitchesPerCall { get; init; }
    /// <summary>Context switches (voluntary + involuntary) of the server process per call.</summary>
    public double ServerSwitchesPerCall { get; init; }

    /// <summary>Share of the measured time the client process spent paused by the garbage collector.</summary>
    public double ClientGcPauseShare { get; init; }
    /// <summary>Share of the measured time the server process spent paused by the garbage collector.</summary>
    public double ServerGcPauseShare { get; init; }
    /// <summary>Collections of the client process in the measured windows.</summary>
    public long ClientCollections { get; init; }
    /// <summary>Mean pause of a collection of the client process, µs.</summary>
    public double ClientMeanGcPauseMicros { get; init; }
    /// <summary>Mean pause of a collection of the server process, µs.</summary>
    public double ServerMeanGcPauseMicros { get; init; }

    private string Share => ShareOfBare is { } s ? $"{s * 100:N1} %" : "-";

    public string ToRow() =>
        $"{System,-12} conns={Connections} c={Concurrency,-4} {RequestsPerSecond,10:N0} req/s  p50 {P50Micros,8:N1} µs  p99 {P99Micros,8:N1} µs  " +
        $"p99.9 {P999Micros,8:N1} µs  client {ClientBytesPerCall,7:N0} B/call  server {ServerBytesPerCall,7:N0} B/call  " +
        $"server GCs {ServerGen0}/{ServerGen1}/{ServerGen2}  load {LoadAverage:N2}\n" +
        $"{"",-12} CPU µs/call client {ClientCpuMicrosPerCall:N2} server {ServerCpuMicrosPerCall:N2}  work items/call client {ClientWorkItemsPerCall:N4} " +
        $"server {ServerWorkItemsPerCall:N4}  switches/call client {ClientSwitchesPerCall:N2} server {ServerSwitchesPerCall:N2}\n" +
        $"{"",-12} GC pauses client {ClientCollections} × {ClientMeanGcPauseMicros:N0} µs = {ClientGcPauseShare * 100:N2} % of the time  " +
        $"server {ServerGen0} × {ServerMeanGcPauseMicros:N0} µs = {ServerGcPauseShare * 100:N2} %";

    public const string CostHeader =
        "| system | conns | concurrency | client CPU µs/call | server CPU µs/call | client work items/call | server work items/call | client switches/call | server switches/call |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|";

    public string ToCostMarkdown() =>
        $"| {System} | {Connections} | {Concurrency} | {ClientCpuMicrosPerCall:N2} | {ServerCpuMicrosPerCall:N2} | {ClientWorkItemsPerCall:N2} | {ServerWorkItemsPerCall:N2} | {ClientSwitchesPerCall:N2} | {ServerSwitchesPerCall:N2} |";

    public const string MarkdownHeader =
        "| system | conns | concurrency | req/s | share of bare | p50 µs | p99 µs | p99.9 µs | client B/call | server B/call |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    public string ToMarkdown() =>
        $"| {System} | {Connections} | {Concurrency} | {RequestsPerSecond:N0} | {Share} | {P50Micros:N1} | {P99Micros:N1} | {P999Micros:N1} | {ClientBytesPerCall:N0} | {ServerBytesPerCall:N0} |";
}

[JsonSerializable(typeof(List<Result>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class BenchJson : JsonSerializerContext;
