using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Meshwork.Health;

/// <summary>Registers Meshwork's health checks and maps their endpoints.</summary>
public static class MeshworkHealthExtensions
{
    /// <summary>
    /// Adds the <see cref="Readiness"/> singleton and the checks <c>meshwork-live</c> (tag live), <c>meshwork-drain</c>,
    /// <c>meshwork-disk</c> and <c>meshwork-memory</c> (tag ready, plus disk and ram), and <c>meshwork-cpu</c> (tag cpu only:
    /// a busy process still takes work). Returns the health checks builder for the application's own checks.
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static IHealthChecksBuilder AddMeshworkHealthChecks(this IServiceCollection services, Action<MeshworkHealthOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = new MeshworkHealthOptions();
        configure?.Invoke(options);
        options.Validate();
        services.TryAddSingleton<Readiness>();
        return services.AddHealthChecks()
            .AddCheck<LivenessHealthCheck>("meshwork-live", tags: [HealthTags.Live])
            .Add(new HealthCheckRegistration("meshwork-drain", sp => new ReadinessHealthCheck(sp.GetRequiredService<Readiness>()), null, [HealthTags.Ready]))
            .Add(new HealthCheckRegistration("meshwork-disk", _ => new DiskHealthCheck(options), null, [HealthTags.Ready, HealthTags.Disk]))
            .Add(new HealthCheckRegistration("meshwork-memory", _ => new MemoryHealthCheck(options), null, [HealthTags.Ready, HealthTags.Memory]))
            .Add(new HealthCheckRegistration("meshwork-cpu", _ => new CpuHealthCheck(options), null, [HealthTags.Cpu]));
    }

    /// <summary>
    /// Maps <c>{prefix}/live</c>, <c>{prefix}/ready</c>, <c>{prefix}/disk</c>, <c>{prefix}/cpu</c> and <c>{prefix}/ram</c>
    /// (default prefix <c>/health</c>). Each runs the checks with its tag and answers 200 when healthy or degraded and
    /// 503 when unhealthy, with the report as JSON.
    /// </summary>
    public static IEndpointRouteBuilder MapMeshworkHealth(this IEndpointRouteBuilder endpoints, string prefix = "/health")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (!prefix.StartsWith('/')) throw new ArgumentException($"the health path prefix must start with '/' (was '{prefix}')", nameof(prefix));
        prefix = prefix.TrimEnd('/');
        foreach (var tag in new[] { HealthTags.Live, HealthTags.Ready, HealthTags.Disk, HealthTags.Cpu, HealthTags.Memory })
        {
            endpoints.MapHealthChecks(prefix + "/" + tag, new HealthCheckOptions
            {
                Predicate = r => r.Tags.Contains(tag),
                ResponseWriter = HealthJsonWriter.WriteAsync,
                ResultStatusCodes =
                {
                    [HealthStatus.Healthy] = StatusCodes.Status200OK,
                    [HealthStatus.Degraded] = StatusCodes.Status200OK,
                    [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
                },
            });
        }
        return endpoints;
    }
}
