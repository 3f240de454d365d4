using Meshwork.Discovery;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Governance;

/// <summary>Keys and helpers that make the chosen instance visible to client middleware.</summary>
public static class GovernedCall
{
    /// <summary>Key in <see cref="ClientCallContext.Items"/> holding the <see cref="ServiceInstance"/> a governed call was sent to.</summary>
    public const string InstanceItem = "meshwork.instance";

    /// <summary>Trailer added to errors of governed calls: the id of the instance that failed.</summary>
    public const string InstanceTrailer = "meshwork-instance";

    /// <summary>The instance this call goes to, when it runs under a <see cref="GovernedCallInvoker"/>; null otherwise.</summary>
    public static ServiceInstance? GetServiceInstance(this ClientCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Items.TryGetValue(InstanceItem, out var v) ? v as ServiceInstance : null;
    }
}

/// <summary>Runs first in a per-instance channel's middleware so that user middleware sees the instance.</summary>
internal sealed class InstanceTagMiddleware(ServiceInstance instance) : IClientMiddleware
{
    public ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next)
    {
        context.Items[GovernedCall.InstanceItem] = instance;
        return next(context);
    }
}

/// <summary>Builds the channel of one instance from the client template.</summary>
internal static class InstanceChannels
{
    /// <summary>
    /// The invoker of one instance: the factory registered for the instance's protocol metadata, else (no metadata, or
    /// the native protocol) a native channel.
    /// </summary>
    public static CallInvoker CreateInvoker(string service, ServiceInstance instance, GovernanceOptions options, ServicePolicy policy)
    {
        if (!instance.Metadata.TryGetValue(GovernanceOptions.ProtocolMetadataKey, out var protocol)
            || string.Equals(protocol, GovernanceOptions.NativeProtocol, StringComparison.OrdinalIgnoreCase))
        {
            return Create(instance, options.Client, policy);
        }
        if (!options.InstanceInvokers.TryGetValue(protocol, out var factory)) return RefusingCallInvoker.UnknownProtocol(instance, protocol, options.InstanceInvokers.Keys);
        IReadOnlyList<IClientMiddleware> middleware = options.Client.Middleware.Count == 0
            ? []
            : [new InstanceTagMiddleware(instance), .. options.Client.Middleware];
        return factory.Create(new InstanceInvokerContext(service, instance, policy, options.Client, middleware));
    }

    public static RpcChannel Create(ServiceInstance instance, RpcClientOptions template, ServicePolicy policy)
    {
        var options = new RpcClientOptions
        {
            ConnectionsPerEndpoint = policy.ConnectionsPerInstance ?? template.ConnectionsPerEndpoint,
            MaxConcurrentStreamsPerConnection = template.MaxConcurrentStreamsPerConnection,
            MaxFrameSize = Math.Min(template.MaxFrameSize, policy.MaxMessageSize ?? int.MaxValue),
            MaxMessageSize = policy.MaxMessageSize ?? template.MaxMessageSize,
            MaxQueuedWriteBytes = template.MaxQueuedWriteBytes,
            DefaultTimeout = template.DefaultTimeout,
            ConnectTimeout = policy.ConnectTimeout ?? template.ConnectTimeout,
            ReconnectBackoffInitial = template.ReconnectBackoffInitial,
            ReconnectBackoffMax = template.ReconnectBackoffMax,
            KeepAliveInterval = template.KeepAliveInterval,
            KeepAliveTimeout = template.KeepAliveTimeout,
            IdleTimeout = template.IdleTimeout,
            StreamWindow = template.StreamWindow,
            Serializers = policy.Codec is { } codec ? WithDefault(template.Serializers, codec) : template.Serializers,
            Compression = template.Compression,
            Tls = template.Tls,
            LoggerFactory = template.LoggerFactory,
        };
        // Only when there is middleware to see it: an empty middleware list keeps the channel on its allocation-free path.
        if (template.Middleware.Count > 0)
        {
            options.Middleware.Add(new InstanceTagMiddleware(instance));
            foreach (var m in template.Middleware) options.Middleware.Add(m);
        }
        return RpcChannel.ForAddress(instance.Address, options);
    }

    /// <summary>The template's serializers with <paramref name="codec"/> (validated to be among them) as the default for outgoing calls.</summary>
    private static SerializerRegistry WithDefault(SerializerRegistry template, string codec)
    {
        var copy = new SerializerRegistry();
        ISerializer? chosen = null;
        for (int id = 1; id < 256; id++)
        {
            if (template.Find((byte)id) is not { } s) continue;
            copy.Add(s);
            if (string.Equals(s.Name, codec, StringComparison.OrdinalIgnoreCase)) chosen = s;
        }
        return copy.UseDefault(chosen ?? throw new ArgumentException($"unknown codec '{codec}'"));
    }
}
