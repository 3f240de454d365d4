using Meshwork.Governance;
using Meshwork.Rpc.Client;

namespace Meshwork.Tars;

/// <summary>
/// Lets a <see cref="GovernedCallInvoker"/> call TARS instances: for every instance with <c>protocol=tars</c> metadata
/// (<see cref="TarsInstances"/>, what <see cref="TarsRegistry"/> and <see cref="TarsInstances.Create"/> produce) it builds a
/// <see cref="TarsChannel"/> to that one endpoint. Balancing, fail modes, breakers, budgets, deadlines and client
/// middleware of the governed invoker then apply to TARS calls unchanged; the breaker heartbeat becomes a
/// <c>tars_ping</c>. Register it with <see cref="TarsGovernance.AddTarsInstances"/>.
/// </summary>
public sealed class TarsInstanceInvokerFactory : IInstanceInvokerFactory
{
    /// <summary>Creates the factory.</summary>
    /// <param name="template">
    /// Settings every instance channel copies (version, default timeout, packet and depth limits, backoff, middleware run
    /// after the governance middleware, logging); null for the defaults. Its <see cref="TarsClientOptions.Locator"/> is
    /// ignored: the registry already resolved the endpoint.
    /// </param>
    /// <exception cref="ArgumentException">A template setting is invalid.</exception>
    public TarsInstanceInvokerFactory(TarsClientOptions? template = null)
    {
        Template = template ?? new TarsClientOptions();
        Template.Validate();
    }

    /// <summary>The settings every instance channel copies.</summary>
    public TarsClientOptions Template { get; }

    /// <summary>A channel to the instance's TARS endpoint, or an invoker whose calls fail with Unavailable naming why it cannot be called.</summary>
    /// <param name="context">The instance and its service's policy.</param>
    /// <returns>The invoker (disposed by governance when the instance leaves the route).</returns>
    public CallInvoker Create(InstanceInvokerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var instance = context.Instance;
        if (TarsInstances.ToEndpoint(instance) is not { } endpoint)
            return new RefusingCallInvoker($"instance {instance.Id}: '{instance.Address}' is no host:port and its metadata carries no TARS endpoint ({TarsInstances.EndpointKey})");
        var policy = context.Policy;
        var options = new TarsClientOptions
        {
            Version = Template.Version,
            DefaultTimeout = Template.DefaultTimeout,
            ConnectTimeout = policy.ConnectTimeout ?? Template.ConnectTimeout,
            MaxPacketSize = policy.MaxMessageSize ?? Template.MaxPacketSize,
            MaxInFlightPerConnection = Template.MaxInFlightPerConnection,
            ReconnectBackoffInitial = Template.ReconnectBackoffInitial,
            ReconnectBackoffMax = Template.ReconnectBackoffMax,
            MaxDepth = Template.MaxDepth,
            LoggerFactory = Template.LoggerFactory ?? context.Client.LoggerFactory,
        };
        // Governance middleware first (it tags the instance), then the template's own.
        foreach (var m in context.Middleware) options.Middleware.Add(m);
        foreach (var m in Template.Middleware) options.Middleware.Add(m);
        try
        {
            return new TarsInstanceInvoker(TarsChannel.ForProxy(context.Service + "@" + endpoint, options));
        }
        catch (Exception e) when (e is TarsProxyFormatException or NotSupportedException or ArgumentException)
        {
            // Thrown from the registry watch this would stall every instance of the service: refuse just this one.
            return new RefusingCallInvoker($"instance {instance.Id} ({endpoint}) cannot be called over TARS: {e.Message}");
        }
    }
}
