using System.Text.Json.Serialization;

namespace Meshwork.Bench;

internal sealed record Result(string System, int Connections, int Concurrency, double RequestsPerSecond, double P50Micros, double P99Micros, double P999Micros, double ClientBytesPerCall)
{
    public string ToRow() => $"{System,-12} conns={Connections} c={Concurrency,-4} {RequestsPerSecond,10:N0} req/s  p50 {P50Micros,8:N1} µs  p99 {P99Micros,8:N1} µs  p99.9 {P999Micros,8:N1} µs  {ClientBytesPerCall,8:N0} B/call";

    public string ToMarkdown() => $"| {System} | {Connections} | {Concurrency} | {RequestsPerSecond:N0} | {P50Micros:N1} | {P99Micros:N1} | {P999Micros:N1} | {ClientBytesPerCall:N0} |";
}

[JsonSerializable(typeof(List<Result>))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class BenchJson : JsonSerializerContext;
