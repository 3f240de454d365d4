using Meshwork.Rpc;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Meshwork.Health;

/// <summary>
/// Serves <see cref="HealthServiceContract"/> from <see cref="Readiness"/> and, when given, the readiness-tagged health
/// checks. Add it with <c>server.AddService(health.Define())</c>.
/// </summary>
public sealed class MeshworkHealthService
{
    private readonly Readiness _readiness;
    private readonly HealthCheckService? _checks;
    private readonly HashSet<string>? _services;
    private readonly Lock _gate = new();
    private (long At, bool Healthy) _cached;

    /// <summary>
    /// A health service for a server whose services are <paramref name="services"/> (null: any name is accepted), ready
    /// while <paramref name="readiness"/> is and (when given) the checks tagged <see cref="HealthTags.Ready"/> are not unhealthy.
    /// </summary>
    public MeshworkHealthService(Readiness readiness, HealthCheckService? checks = null, IEnumerable<string>? services = null)
    {
        ArgumentNullException.ThrowIfNull(readiness);
        _readiness = readiness;
        _checks = checks;
        _services = services is null ? null : new HashSet<string>(services, StringComparer.Ordinal);
    }

    /// <summary>
    /// How long a result of the health checks is reused. Default 1 s: balancers polling many times a second cost one
    /// check run per second, and a change is still seen within a second.
    /// </summary>
    public TimeSpan CheckCacheDuration { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often a watch re-evaluates the status (a drain is pushed at once). Default 1 s, as the cache.</summary>
    public TimeSpan WatchInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The service definition to add to an <see cref="RpcServer"/>.</summary>
    public ServiceDefinition Define() =>
        new ServiceDefinition(HealthServiceContract.ServiceName)
            .AddUnary(HealthServiceContract.Check, (service, context) => StatusAsync(service, context.CancellationToken))
            .AddServerStreaming(HealthServiceContract.Watch, WatchAsync);

    /// <summary>The status of <paramref name="service"/> (empty: the whole server) now.</summary>
    /// <exception cref="RpcException">InvalidArgument for an over-long name; NotFound for a service this server does not serve.</exception>
    public async ValueTask<string> StatusAsync(string? service, CancellationToken cancellationToken = default)
    {
        service ??= "";
        if (service.Length > HealthServiceContract.MaxServiceNameLength)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"service name is {service.Length} characters, the limit is {HealthServiceContract.MaxServiceNameLength}");
        }
        if (service.Length > 0 && _services is not null && !_services.Contains(service))
        {
            throw new RpcException(StatusCode.NotFound, $"service '{service}' is not served here (served: {string.Join(", ", _services.Order(StringComparer.Ordinal))})");
        }
        if (!_readiness.IsReady) return HealthServiceContract.NotServing;
        return await ChecksHealthyAsync(cancellationToken).ConfigureAwait(false) ? HealthServiceContract.Serving : HealthServiceContract.NotServing;
    }

    private async ValueTask<bool> ChecksHealthyAsync(CancellationToken cancellationToken)
    {
        if (_checks is null) return true;
        lock (_gate)
        {
            if (_cached.At != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_cached.At) < CheckCacheDuration) return _cached.Healthy;
        }
        var report = await _checks.CheckHealthAsync(r => r.Tags.Contains(HealthTags.Ready), cancellationToken).ConfigureAwait(false);
        bool healthy = report.Status != HealthStatus.Unhealthy;
        lock (_gate) _cached = (System.Diagnostics.Stopwatch.GetTimestamp(), healthy);
        return healthy;
    }

    private async IAsyncEnumerable<string> WatchAsync(string service, ServerCallContext context)
    {
        var ct = context.CancellationToken;
        string? last = null;
        while (!ct.IsCancellationRequested)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            EventHandler onChange = (_, _) => changed.TrySetResult();
            _readiness.Changed += onChange;
            try
            {
                var status = await StatusAsync(service, ct).ConfigureAwait(false);
                if (status != last)
                {
                    last = status;
                    yield return status;
                }
                await WaitAsync(changed.Task, ct).ConfigureAwait(false);
            }
            finally
            {
                _readiness.Changed -= onChange;
            }
        }
    }

    private async Task WaitAsync(Task changed, CancellationToken ct)
    {
        try
        {
            await changed.WaitAsync(WatchInterval, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Asks <paramref name="invoker"/>'s server for the status of <paramref name="service"/> (empty: the whole server).</summary>
    public static ValueTask<string> CheckAsync(Rpc.Client.CallInvoker invoker, string service = "", CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        return invoker.UnaryAsync(HealthServiceContract.Check, service, options);
    }
}
