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

    private string Share => ShareOfBare is { } s ? $"{s * 100:N1} %" : "-";

    public string ToRow() =>
        $"{System,-12} conns={Connections} c={Concurrency,-4} {RequestsPerSecond,10:N0} req/s  p50 {P50Micros,8:N1} µs  p99 {P99Micros,8:N1} µs  " +
        $"p99.9 {P999Micros,8:N1} µs  client {ClientBytesPerCall,7:N0} B/call  server {ServerBytesPerCall,7:N0} B/call  " +
        $"server GCs {ServerGen0}/{ServerGen1}/{ServerGen2}  load {LoadAverage:N2}";

    public const string MarkdownHeader =
        "| system | conns | concurrency | req/s | share of bare | p50 µs | p99 µs | p99.9 µs | client B/call | server B/call |\n" +
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|";

    public string ToMarkdown() =>
        $"| {System} | {Connections} | {Concurrency} | {RequestsPerSecond:N0} | {Share} | {P50Micros:N1} | {P99Micros:N1} | {P999Micros:N1} | {ClientBytesPerCall:N0} | {ServerBytesPerCall:N0} |";
}

[JsonSerializable(typeof(List<Result>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class BenchJson : JsonSerializerContext;
