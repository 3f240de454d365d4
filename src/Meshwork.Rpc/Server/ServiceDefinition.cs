using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Server;

/// <summary>Handles a unary call: one request, one reply.</summary>
public delegate ValueTask<TResponse> UnaryHandler<TRequest, TResponse>(TRequest request, ServerCallContext context);
/// <summary>Handles a one-way call; nothing is sent back.</summary>
public delegate ValueTask OneWayHandler<TRequest>(TRequest request, ServerCallContext context);
/// <summary>Handles a server-streaming call: yields the replies; the stream is flow-controlled by the client.</summary>
public delegate IAsyncEnumerable<TResponse> ServerStreamingHandler<TRequest, TResponse>(TRequest request, ServerCallContext context);
/// <summary>Handles a client-streaming call: reads the request stream, returns one reply.</summary>
public delegate ValueTask<TResponse> ClientStreamingHandler<TRequest, TResponse>(IAsyncEnumerable<TRequest> requests, ServerCallContext context);
/// <summary>Handles a duplex call: reads the request stream and yields replies.</summary>
public delegate IAsyncEnumerable<TResponse> DuplexStreamingHandler<TRequest, TResponse>(IAsyncEnumerable<TRequest> requests, ServerCallContext context);

/// <summary>
/// The methods of one service bound to their handlers. Generated dispatchers build these; hand-written services can too.
/// </summary>
public sealed class ServiceDefinition
{
    private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);

    /// <summary>An empty service named <paramref name="name"/> on the wire.</summary>
    public ServiceDefinition(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    /// <summary>Service name on the wire.</summary>
    public string Name { get; }

    internal IReadOnlyDictionary<string, ServerMethod> Methods => _methods;

    /// <summary>Names of the methods added so far.</summary>
    public IEnumerable<string> MethodNames => _methods.Keys;

    /// <summary>Binds a unary <paramref name="method"/> to <paramref name="handler"/>. Throws <see cref="ArgumentException"/> if the method
    /// belongs to another service, is declared with another kind, or is already bound.</summary>
    public ServiceDefinition AddUnary<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryHandler<TRequest, TResponse> handler) =>
        Add(method.Service, new UnaryServerMethod<TRequest, TResponse>(method, handler), CallKind.Unary, method.Kind);

    /// <summary>Binds a one-way <paramref name="method"/> to <paramref name="handler"/>. Throws <see cref="ArgumentException"/> if the method
    /// belongs to another service, is declared with another kind, or is already bound.</summary>
    public ServiceDefinition AddOneWay<TRequest>(Method<TRequest, Empty> method, OneWayHandler<TRequest> handler) =>
        Add(method.Service, new OneWayServerMethod<TRequest>(method, handler), CallKind.OneWay, method.Kind);

    /// <summary>Binds a server-streaming <paramref name="method"/> to <paramref name="handler"/>. Throws <see cref="ArgumentException"/> if the method
    /// belongs to another service, is declared with another kind, or is already bound.</summary>
    public ServiceDefinition AddServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingHandler<TRequest, TResponse> handler) =>
        Add(method.Service, new ServerStreamingServerMethod<TRequest, TResponse>(method, handler), CallKind.ServerStreaming, method.Kind);

    /// <summary>Binds a client-streaming <paramref name="method"/> to <paramref name="handler"/>. Throws <see cref="ArgumentException"/> if the method
    /// belongs to another service, is declared with another kind, or is already bound.</summary>
    public ServiceDefinition AddClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingHandler<TRequest, TResponse> handler) =>
        Add(method.Service, new ClientStreamingServerMethod<TRequest, TResponse>(method, handler), CallKind.ClientStreaming, method.Kind);

    /// <summary>Binds a duplex <paramref name="method"/> to <paramref name="handler"/>. Throws <see cref="ArgumentException"/> if the method
    /// belongs to another service, is declared with another kind, or is already bound.</summary>
    public ServiceDefinition AddDuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingHandler<TRequest, TResponse> handler) =>
        Add(method.Service, new DuplexServerMethod<TRequest, TResponse>(method, handler), CallKind.DuplexStreaming, method.Kind);

    private ServiceDefinition Add(string service, ServerMethod method, CallKind expected, CallKind declared)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (service != Name) throw new ArgumentException($"method {method.FullName} belongs to service '{service}', not '{Name}'");
        if (declared != expected) throw new ArgumentException($"method {method.FullName} is declared {declared} but registered as {expected}");
        if (!_methods.TryAdd(method.Name, method)) throw new ArgumentException($"method {method.FullName} is registered twice");
        return this;
    }
}
