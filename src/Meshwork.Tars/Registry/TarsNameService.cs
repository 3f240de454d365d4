using Meshwork.Discovery;

namespace Meshwork.Tars;

/// <summary>Settings of the <see cref="TarsNameService"/>.</summary>
public sealed class TarsNameServiceOptions
{
    /// <summary>The object name the name service answers as. Default <c>tars.tarsregistry.QueryObj</c>, what every TARS client's locator names.</summary>
    public string ObjectName { get; set; } = "tars.tarsregistry.QueryObj";

    /// <summary>
    /// Also publish instances without <c>protocol=tars</c> metadata, taking their address as a TARS tcp endpoint. Default
    /// false: a native Meshwork endpoint handed to a TARS client would only produce decode errors.
    /// </summary>
    public bool IncludeNonTarsInstances { get; set; }

    /// <summary>The <c>-t</c> published for instances whose registration carries none. Default 60000 ms.</summary>
    public int DefaultEndpointTimeout { get; set; } = 60_000;
}

/// <summary>
/// A TARS name service over a Meshwork <see cref="IServiceRegistry"/> (gossip by default): answers
/// <c>tars.tarsregistry.QueryObj</c> (<c>findObjectById</c>, <c>findObjectById4Any</c>, <c>findObjectById4All</c>,
/// <c>findObjectByIdInSameGroup</c>, <c>findObjectByIdInSameStation</c>, <c>findObjectByIdInSameSet</c>) so an
/// unmodified TARS client given only a locator finds Meshwork services by object name. Healthy instances are active;
/// draining and unhealthy ones are reported inactive. Group, station and set filters are not applied (Meshwork has no
/// such grouping): every query returns the whole set, as a registry without groups does.
/// </summary>
public static class TarsNameService
{
    private static readonly TarsValueReader<string> ReadString = static (ref TarsReader r, int t) => r.ReadString(t, true);
    private static readonly TarsValueWriter<int> WriteInt = static (ref TarsWriter w, int t, int v) => w.WriteInt32(t, v);

    /// <summary>Builds the <c>QueryObj</c> object; add it to a <see cref="TarsServer"/>.</summary>
    /// <param name="registry">Where instances are looked up (owned by the caller).</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>The service definition.</returns>
    public static TarsServiceDefinition Create(IServiceRegistry registry, TarsNameServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        options ??= new TarsNameServiceOptions();
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ObjectName);
        return new TarsServiceDefinition(options.ObjectName)
            .Add("findObjectById", async ctx =>
            {
                string id = ctx.Arguments.Read(1, "id", ReadString);
                var (active, _) = await LookupAsync(registry, options, id, ctx.CancellationToken).ConfigureAwait(false);
                ctx.Results.WriteReturn("list<tars.EndpointF>", active, EndpointF.WriteList);
            })
            .Add("findObjectById4Any", ctx => WithOutsAsync(ctx, registry, options, extraInputs: 0))
            .Add("findObjectById4All", ctx => WithOutsAsync(ctx, registry, options, extraInputs: 0))
            .Add("findObjectByIdInSameGroup", ctx => WithOutsAsync(ctx, registry, options, extraInputs: 0))
            .Add("findObjectByIdInSameStation", ctx => WithOutsAsync(ctx, registry, options, extraInputs: 1))
            .Add("findObjectByIdInSameSet", ctx => WithOutsAsync(ctx, registry, options, extraInputs: 1));
    }

    /// <summary><c>int f(string id, [string filter,] out vector&lt;EndpointF&gt; activeEp, out vector&lt;EndpointF&gt; inactiveEp)</c>.</summary>
    private static async ValueTask WithOutsAsync(TarsServerCallContext ctx, IServiceRegistry registry, TarsNameServiceOptions options, int extraInputs)
    {
        string id = ctx.Arguments.Read(1, "id", ReadString);
        var (active, inactive) = await LookupAsync(registry, options, id, ctx.CancellationToken).ConfigureAwait(false);
        ctx.Results.WriteReturn("int32", 0, WriteInt);
        ctx.Results.Write(2 + extraInputs, "activeEp", "list<tars.EndpointF>", active, EndpointF.WriteList);
        ctx.Results.Write(3 + extraInputs, "inactiveEp", "list<tars.EndpointF>", inactive, EndpointF.WriteList);
    }

    private static async ValueTask<(List<EndpointF> Active, List<EndpointF> Inactive)> LookupAsync(IServiceRegistry registry,
        TarsNameServiceOptions options, string id, CancellationToken cancellationToken)
    {
        // "App.Server.Obj#anything" names the same object (the suffix only makes a separate proxy).
        int hash = id.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0) id = id[..hash];
        IReadOnlyList<ServiceInstance> instances;
        try
        {
            instances = await registry.ResolveAsync(id, cancellationToken).ConfigureAwait(false);
        }
        catch (RegistryUnavailableException e)
        {
            throw new TarsException(TarsReturnCode.ServerUnknownError, $"registry '{registry.Name}' is unavailable: {e.Message}");
        }
        var active = new List<EndpointF>();
        var inactive = new List<EndpointF>();
        foreach (var instance in instances)
        {
            var endpoint = TarsInstances.ToEndpoint(instance);
            if (endpoint is null && options.IncludeNonTarsInstances)
                endpoint = TarsInstances.ToEndpoint(instance with { Metadata = new Dictionary<string, string> { [TarsInstances.ProtocolKey] = TarsInstances.ProtocolValue } });
            if (endpoint is null) continue;
            if (!instance.Metadata.ContainsKey(TarsInstances.EndpointKey)) endpoint = endpoint with { Timeout = options.DefaultEndpointTimeout };
            var entry = EndpointF.FromEndpoint(endpoint);
            (instance.Health == InstanceHealth.Healthy ? active : inactive).Add(entry);
        }
        return (active, inactive);
    }
}
