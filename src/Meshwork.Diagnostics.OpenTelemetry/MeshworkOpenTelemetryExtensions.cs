using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Meshwork.Diagnostics.OpenTelemetry;

/// <summary>Wires Meshwork's activity source and meters into OpenTelemetry.</summary>
public static class MeshworkOpenTelemetryExtensions
{
    /// <summary>Records Meshwork's client and server spans (<see cref="MeshworkTelemetry.ActivitySourceName"/>).</summary>
    public static TracerProviderBuilder AddMeshworkInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(MeshworkTelemetry.ActivitySourceName);
    }

    /// <summary>Collects every Meshwork meter (<see cref="MeshworkTelemetry.MeterNames"/>).</summary>
    public static MeterProviderBuilder AddMeshworkInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter([.. MeshworkTelemetry.MeterNames]);
    }

    /// <summary>
    /// Adds OpenTelemetry with Meshwork's spans and metrics, the OTLP exporter when <see cref="MeshworkTelemetryOptions.OtlpEndpoint"/>
    /// is set, and the Prometheus exporter unless turned off. Returns the OpenTelemetry builder for further sources and meters.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static IOpenTelemetryBuilder AddMeshworkTelemetry(this IServiceCollection services, Action<MeshworkTelemetryOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new MeshworkTelemetryOptions();
        configure?.Invoke(options);
        options.Validate();
        var serviceName = options.ServiceName ?? System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "meshwork";
        return services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(tracing =>
            {
                tracing.AddMeshworkInstrumentation().SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(options.SamplingRatio)));
                if (options.OtlpEndpoint is { } endpoint) tracing.AddOtlpExporter(o => Configure(o, endpoint, "v1/traces", options.OtlpProtocol));
            })
            .WithMetrics(metrics =>
            {
                metrics.AddMeshworkInstrumentation();
                if (options.OtlpEndpoint is { } endpoint)
                {
                    metrics.AddOtlpExporter((o, reader) =>
                    {
                        Configure(o, endpoint, "v1/metrics", options.OtlpProtocol);
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.MetricExportInterval.TotalMilliseconds;
                    });
                }
                if (options.Prometheus) metrics.AddPrometheusExporter();
            });
    }

    private static void Configure(OtlpExporterOptions o, Uri endpoint, string signalPath, OtlpExportProtocol protocol)
    {
        o.Protocol = protocol;
        // A programmatic endpoint is used as given for HTTP: the signal's path has to be part of it.
        o.Endpoint = protocol == OtlpExportProtocol.HttpProtobuf ? new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/" + signalPath) : endpoint;
    }

    /// <summary>Maps the Prometheus scrape endpoint (text exposition format) at <paramref name="path"/>; default <c>/metrics</c>, where Prometheus looks by default.</summary>
    public static IEndpointConventionBuilder MapMeshworkMetrics(this IEndpointRouteBuilder endpoints, string path = "/metrics")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!path.StartsWith('/')) throw new ArgumentException($"the metrics path must start with '/' (was '{path}')", nameof(path));
        return endpoints.MapPrometheusScrapingEndpoint(path);
    }
}
