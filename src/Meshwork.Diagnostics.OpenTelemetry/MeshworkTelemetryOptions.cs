using OpenTelemetry.Exporter;

namespace Meshwork.Diagnostics.OpenTelemetry;

/// <summary>Settings of <see cref="MeshworkOpenTelemetryExtensions.AddMeshworkTelemetry"/>. Each default is chosen so that the call alone is safe in production.</summary>
public sealed class MeshworkTelemetryOptions
{
    /// <summary>
    /// <c>service.name</c> of the resource every span and metric is exported with. Default null: the entry assembly's
    /// name, which is what OpenTelemetry itself would use for an unnamed service, only readable.
    /// </summary>
    public string? ServiceName { get; set; }

    /// <summary>
    /// Base address of an OTLP receiver (a collector), e.g. <c>http://127.0.0.1:4318</c>. Traces go to
    /// <c>{base}/v1/traces</c> and metrics to <c>{base}/v1/metrics</c> (HTTP/protobuf), or to the base itself over gRPC.
    /// Default null: nothing is exported over OTLP, because no collector can be assumed to run.
    /// </summary>
    public Uri? OtlpEndpoint { get; set; }

    /// <summary>
    /// OTLP transport. Default <see cref="OtlpExportProtocol.HttpProtobuf"/>: plain HTTP/1.1 POSTs pass through every
    /// proxy and need no HTTP/2; use gRPC for a collector that only listens on 4317.
    /// </summary>
    public OtlpExportProtocol OtlpProtocol { get; set; } = OtlpExportProtocol.HttpProtobuf;

    /// <summary>
    /// How often metrics are pushed over OTLP. Default 10 s: fresh enough for a live dashboard, a sixth of
    /// OpenTelemetry's own 60 s default, still a negligible load. At least 100 ms.
    /// </summary>
    public TimeSpan MetricExportInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Share of new traces recorded, in [0, 1]; a call that arrives with a sampled parent is always recorded, so a trace
    /// is never cut in the middle. Default 1: meshes of the size this targets can afford every trace; lower it for
    /// high call rates.
    /// </summary>
    public double SamplingRatio { get; set; } = 1.0;

    /// <summary>
    /// Keep metrics for the Prometheus scrape endpoint (map it with <see cref="MeshworkOpenTelemetryExtensions.MapMeshworkMetrics"/>).
    /// Default true: it costs nothing until scraped, and Prometheus is the common pull-based collector.
    /// </summary>
    public bool Prometheus { get; set; } = true;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (ServiceName is { Length: 0 }) throw new ArgumentException("MeshworkTelemetryOptions.ServiceName must not be empty (leave it null for the entry assembly's name)");
        if (OtlpEndpoint is { IsAbsoluteUri: false }) throw new ArgumentException($"MeshworkTelemetryOptions.OtlpEndpoint must be an absolute URI (was '{OtlpEndpoint}')");
        if (OtlpEndpoint is { } e && e.Scheme != Uri.UriSchemeHttp && e.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException($"MeshworkTelemetryOptions.OtlpEndpoint must be http or https (was '{e}')");
        }
        if (MetricExportInterval < TimeSpan.FromMilliseconds(100)) throw new ArgumentException($"MeshworkTelemetryOptions.MetricExportInterval must be at least 100 ms (was {MetricExportInterval})");
        if (SamplingRatio is < 0 or > 1 || double.IsNaN(SamplingRatio)) throw new ArgumentException($"MeshworkTelemetryOptions.SamplingRatio must be between 0 and 1 (was {SamplingRatio})");
    }
}
