using System.Runtime.CompilerServices;
using Meshwork.Discovery;
using Meshwork.Rpc;

namespace Meshwork.Tars;

/// <summary>Settings of a <see cref="TarsRegistry"/>.</summary>
public sealed class TarsRegistryOptions
{
    /// <summary>The registry's QueryObj, e.g. <c>tars.tarsregistry.QueryObj@tcp -h 10.0.0.1 -p 17890</c>. Required.</summary>
    public string Locator { get; set; } = "";

    /// <summary>How often <see cref="TarsRegistry.WatchAsync"/> asks the registry again. Default 10 s: TARS registries are polled (there is no push), and clients refresh every 60 s by default.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Timeout of one registry query. Default 3 s.</summary>
    public TimeSpan QueryTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        var locator = TarsProxyString.Parse(Locator);
        if (locator.Endpoints.Count == 0) throw new ArgumentException($"TarsRegistryOptions.Locator '{Locator}' must name endpoints (@tcp -h … -p …)");
        if (RefreshInterval <= TimeSpan.Zero) throw new ArgumentException($"TarsRegistryOptions.RefreshInterval must be positive (was {RefreshInterval})");
        if (QueryTimeout <= TimeSpan.Zero) throw new ArgumentException($"TarsRegistryOptions.QueryTimeout must be positive (was {QueryTimeout})");
    }
}

/// <summary>
/// A read-only <see cref="IServiceRegistry"/> over a TARS registry (<c>QueryF.findObjectById4Any</c>): Meshwork clients
/// (and governance) resolve TARS objects by name. Active endpoints are healthy instances, inactive ones unhealthy;
/// instances carry <c>protocol=tars</c> metadata (<see cref="TarsInstances"/>). Registering is refused: TARS servers
/// register through their tarsnode.
/// </summary>
public sealed class TarsRegistry : IServiceRegistry
{
    private readonly TarsRegistryOptions _options;
    private readonly TarsChannel _channel;
    private readonly string _queryObject;

    /// <summary>Creates the provider.</summary>
    /// <param name="options">Settings (<see cref="TarsRegistryOptions.Locator"/> is required).</param>
    /// <param name="clientOptions">Connection settings for talking to the registry; null for the defaults.</param>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public TarsRegistry(TarsRegistryOptions options, TarsClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _channel = TarsChannel.ForProxy(options.Locator, clientOptions);
        _queryObject = _channel.ObjectName!;
    }

    /// <inheritdoc />
    public string Name => "tars";

    /// <summary>Refused: a TARS registry is read-only to Meshwork.</summary>
    /// <param name="instance">Ignored.</param>
    /// <param name="cancellationToken">Ignored.</param>
    /// <returns>Never returns.</returns>
    /// <exception cref="NotSupportedException">Always.</exception>
    public ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the TARS registry is read-only to Meshwork; TARS servers register through their tarsnode (serve TARS objects from Meshwork's own registry with TarsNameService instead)");

    /// <summary>Refused: a TARS registry is read-only to Meshwork.</summary>
    /// <param name="instance">Ignored.</param>
    /// <param name="cancellationToken">Ignored.</param>
    /// <returns>Never returns.</returns>
    /// <exception cref="NotSupportedException">Always.</exception>
    public ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("the TARS registry is read-only to Meshwork");

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        (int Ret, List<EndpointF> Active, List<EndpointF> Inactive) found;
        try
        {
            found = await QueryFClient.FindObjectById4AnyAsync(_channel, _queryObject, service, _options.QueryTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw new RegistryUnavailableException(Name, $"{_options.Locator}: {e.Message}", e);
        }
        catch (TarsDecodeException e)
        {
            throw new RegistryUnavailableException(Name, $"{_options.Locator} answered an undecodable reply: {e.Message}", e);
        }
        if (found.Ret != 0) throw new RegistryUnavailableException(Name, $"{_options.Locator} answered findObjectById4Any({service}) with {found.Ret}");
        var list = new List<ServiceInstance>(found.Active.Count + found.Inactive.Count);
        foreach (var e in found.Active) list.Add(ToInstance(service, e, InstanceHealth.Healthy));
        foreach (var e in found.Inactive) list.Add(ToInstance(service, e, InstanceHealth.Unhealthy));
        return list;
    }

    private static ServiceInstance ToInstance(string service, EndpointF endpoint, InstanceHealth health) =>
        TarsInstances.Create(service, endpoint.ToEndpoint()) with { Health = health };

    /// <inheritdoc />
    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ServiceInstance>? last = null;
        using var timer = new PeriodicTimer(_options.RefreshInterval);
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = await ResolveAsync(service, cancellationToken).ConfigureAwait(false);
            if (last is null || !Same(last, now))
            {
                last = now;
                yield return now;
            }
            try
            {
                if (!await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) yield break;
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    private static bool Same(IReadOnlyList<ServiceInstance> a, IReadOnlyList<ServiceInstance> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
        {
            if (!a[i].SameAs(b[i])) return false;
        }
        return true;
    }

    /// <summary>Closes the connection to the registry.</summary>
    /// <returns>Completes when closed.</returns>
    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}
