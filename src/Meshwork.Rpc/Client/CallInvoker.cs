namespace Meshwork.Rpc.Client;

/// <summary>
/// What generated client proxies call. <see cref="RpcChannel"/> implements it for one endpoint; discovery-aware
/// invokers (load balancing across many endpoints) implement the same surface.
/// </summary>
public abstract class CallInvoker
{
    /// <summary>Sends one request and returns its one reply; failures throw <see cref="RpcException"/>.</summary>
    public abstract ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default);

    /// <summary>Sends the request and returns once it is queued for the socket; no response is expected.</summary>
    public abstract ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default);

    /// <summary>Sends one request and yields the server's stream of replies; leaving the loop early cancels the call.</summary>
    public abstract IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default);

    /// <summary>Streams <paramref name="requests"/> to the server and returns its one reply.</summary>
    public abstract ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default);

    /// <summary>Streams <paramref name="requests"/> to the server while yielding its replies; the call ends with the server's status.</summary>
    public abstract IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default);
}
