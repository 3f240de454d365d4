namespace Meshwork.Rpc.Client;

/// <summary>
/// What generated client proxies call. <see cref="RpcChannel"/> implements it for one endpoint; discovery-aware
/// invokers (load balancing across many endpoints) implement the same surface.
/// </summary>
public abstract class CallInvoker
{
    public abstract ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default);

    /// <summary>Sends the request and returns once it is queued for the socket; no response is expected.</summary>
    public abstract ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default);

    public abstract IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default);

    public abstract ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default);

    public abstract IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default);
}
