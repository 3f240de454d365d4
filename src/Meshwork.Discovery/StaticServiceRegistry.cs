using System.Runtime.CompilerServices;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Discovery;

/// <summary>
/// A registry held in memory: a fixed list from configuration, plus whatever is registered in-process. Needs no
/// infrastructure; useful for fixed deployments, tests, and as the seed list behind a cache.
/// </summary>
public sealed class StaticServiceRegistry : IServiceRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, ServiceInstance>> _services = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = NewSignal();

    /// <summary>Creates a registry holding <paramref name="instances"/>.</summary>
    public StaticServiceRegistry(IEnumerable<ServiceInstance>? instances = null)
    {
        foreach (var i in instances ?? []) Put(i);
    }

    /// <inheritdoc />
    public string Name => "static";

    /// <summary>
    /// Reads instances from a configuration section shaped as <c>Services:&lt;name&gt;:&lt;n&gt;:{Address, Id, Weight,
    /// Version, Zone, Tags:{k:v}, Metadata:{k:v}}</c>. Only <c>Address</c> is required.
    /// </summary>
    /// <exception cref="DiscoveryConfigurationException">A value is missing or invalid; the message names its key.</exception>
    public static StaticServiceRegistry FromConfiguration(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var list = new List<ServiceInstance>();
        foreach (var service in section.GetSection("Services").GetChildren())
        {
            foreach (var entry in service.GetChildren())
            {
                list.Add(ReadInstance(service.Key, entry));
            }
        }
        return new StaticServiceRegistry(list);
    }

    private static ServiceInstance ReadInstance(string service, IConfigurationSection entry)
    {
        var address = entry["Address"];
        if (string.IsNullOrWhiteSpace(address)) throw new DiscoveryConfigurationException(entry.Path + ":Address", "an instance needs an address (host:port)");
        int weight = 100;
        if (entry["Weight"] is { } w && (!int.TryParse(w, out weight) || weight <= 0))
        {
            throw new DiscoveryConfigurationException(entry.Path + ":Weight", $"'{w}' is not a positive integer");
        }
        var version = SemanticVersion.Zero;
        if (entry["Version"] is { } v && !SemanticVersion.TryParse(v, out version, out var error))
        {
            throw new DiscoveryConfigurationException(entry.Path + ":Version", $"'{v}' is not a semantic version: {error}");
        }
        return new ServiceInstance(service, address)
        {
            Id = entry["Id"] ?? "",
            Weight = weight,
            Version = version,
            Zone = entry["Zone"],
            Tags = ReadMap(entry.GetSection("Tags")),
            Metadata = ReadMap(entry.GetSection("Metadata")),
        };
    }

    private static Dictionary<string, string> ReadMap(IConfigurationSection section) =>
        section.GetChildren().Where(c => c.Value is not null).ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal);

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Put(ServiceInstance instance)
    {
        if (!_services.TryGetValue(instance.Service, out var set)) _services[instance.Service] = set = new(StringComparer.Ordinal);
        set[instance.Id] = instance;
    }

    private void Signal()
    {
        var old = _changed;
        _changed = NewSignal();
        old.TrySetResult();
    }

    /// <inheritdoc />
    public ValueTask RegisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_gate)
        {
            Put(instance);
            Signal();
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DeregisterAsync(ServiceInstance instance, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(instance);
        lock (_gate)
        {
            if (_services.TryGetValue(instance.Service, out var set) && set.Remove(instance.Id)) Signal();
        }
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<ServiceInstance>> ResolveAsync(string service, CancellationToken cancellationToken = default)
    {
        lock (_gate) return ValueTask.FromResult(Snapshot(service));
    }

    private IReadOnlyList<ServiceInstance> Snapshot(string service) =>
        _services.TryGetValue(service, out var set) ? set.Values.ToArray() : [];

    /// <inheritdoc />
    public async IAsyncEnumerable<IReadOnlyList<ServiceInstance>> WatchAsync(string service, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        IReadOnlyList<ServiceInstance>? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            Task changed;
            IReadOnlyList<ServiceInstance> now;
            lock (_gate)
            {
                changed = _changed.Task;
                now = Snapshot(service);
            }
            if (last is null || !InstanceSets.Same(last, now))
            {
                last = now;
                yield return now;
            }
            try
            {
                await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Comparisons of instance sets, used to report only real changes.</summary>
public static class InstanceSets
{
    /// <summary>True when both sets hold the same instances (by <see cref="ServiceInstance.SameAs"/>), in any order.</summary>
    public static bool Same(IReadOnlyList<ServiceInstance> a, IReadOnlyList<ServiceInstance> b)
    {
        if (a.Count != b.Count) return false;
        foreach (var x in a)
        {
            bool found = false;
            foreach (var y in b)
            {
                if (x.Id == y.Id)
                {
                    found = x.SameAs(y);
                    break;
                }
            }
            if (!found) return false;
        }
        return true;
    }
}
