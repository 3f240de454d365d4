using Meshwork.Governance.Server;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Tars;

/// <summary>
/// One TARS instance as governance sees it: TARS calls go to the channel; governance's health check (what open breakers
/// and ejected instances are probed with) becomes a <c>tars_ping</c>, which every TARS server answers; any other
/// native method fails with Unimplemented instead of reaching a TARS peer as garbage.
/// </summary>
internal sealed class TarsInstanceInvoker(TarsChannel channel) : CallInvoker, IAsyncDisposable
{
    private static readonly TarsInvocation Ping = new();

    public TarsChannel Channel => channel;

    public override ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        if (typeof(TRequest) == typeof(TarsInvocation)) return channel.UnaryAsync(method, request, options);
        if (ReferenceEquals(method, HealthService.Check)) return (ValueTask<TResponse>)(object)PingAsync((string)(object)request!, options);
        return ValueTask.FromException<TResponse>(NotTars(method.FullName));
    }

    private async ValueTask<string> PingAsync(string objectName, CallOptions options)
    {
        await channel.UnaryAsync(TarsMethods.Unary(objectName, TarsKeys.Ping, idempotent: true), Ping, options).ConfigureAwait(false);
        return HealthService.Serving;
    }

    public override ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default) =>
        typeof(TRequest) == typeof(TarsInvocation) ? channel.OneWayAsync(method, request, options) : ValueTask.FromException(NotTars(method.FullName));

    public override IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
        channel.ServerStreaming(method, request, options);

    public override ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default) =>
        channel.ClientStreamingAsync(method, requests, options);

    public override IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default) =>
        channel.DuplexStreaming(method, requests, options);

    private static RpcException NotTars(string method) =>
        new(StatusCode.Unimplemented, $"{method}: this instance speaks TARS and carries TARS calls only (Method<TarsInvocation, TarsReply>, see TarsMethods)");

    public ValueTask DisposeAsync() => channel.DisposeAsync();
}
