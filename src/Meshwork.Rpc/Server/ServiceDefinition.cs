using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Server;

public delegate ValueTask<TResponse> UnaryHandler<TRequest, TResponse>(TRequest request, ServerCallContext context);
public delegate ValueTask OneWayHandler<TRequest>(TRequest request, ServerCallContext context);
public delegate IAsyncEnumerable<TResponse> ServerStreamingHandler<TRequest, TResponse>(TRequest request, ServerCallContext context);
public delegate ValueTask<TResponse> ClientStreamingHandler<TRequest, TResponse>(IAsyncEnumerable<TRequest> requests, ServerCallContext context);
public delegate IAsyncEnumerable<TResponse> DuplexStreamingHandler<TRequest, TResponse>(IAsyncEnumerable<TRequest> requests, ServerCallContext context);

/// <summary>
/// The methods of one service bound to their handlers. Generated dispatchers build these; hand-written services can too.
/// </summary>
public sealed class ServiceDefinition
{
    private readonly Dictionary<string, ServerMethod> _methods = new(StringComparer.Ordinal);

    public ServiceDefinition(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    public string Name { get; }

    internal IReadOnlyDictionary<string, ServerMethod> Methods => _methods;

    public IEnumerable<string> MethodNames => _methods.Keys;

    public ServiceDefinition AddUnary<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryHandler<TRequest, TResponse> handler) =>
        Add(method.Service, new UnaryServerMethod<TRequest, TResponse>(method, handler), CallKind.Unary, method.Kind);

    public ServiceDefinition AddOneWay<TRequest>(Method<TRequest, Empty> method, OneWayHandler<TRequest> handler) =>
        Add(method.Service, new OneWayServerMethod<TRequest>(method, handler), CallKind.OneWay, method.Kind);

    public ServiceDefinition AddServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingHandler<TRequest, TResponse> handler) =>
        Add(method.Service, new ServerStreamingServerMethod<TRequest, TResponse>(method, handler), CallKind.ServerStreaming, method.Kind);

    public ServiceDefinition AddClientStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingHandler<TRequest, TResponse> handler) =>
        Add(method.Service, new ClientStreamingServerMethod<TRequest, TResponse>(method, handler), CallKind.ClientStreaming, method.Kind);

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
