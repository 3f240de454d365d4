namespace Meshwork.Rpc.Server;

/// <summary>The rest of the server pipeline: the next middleware, or the handler.</summary>
public delegate ValueTask ServerCallHandler(ServerCallContext context);

/// <summary>
/// Server interceptor (the brief's filter chain): runs around every call except heartbeats, outermost first. It can read
/// and write metadata, inspect or replace <see cref="ServerCallContext.Request"/> and <see cref="ServerCallContext.Response"/>,
/// short-circuit by not calling next, or throw <see cref="RpcException"/> to fail the call with a status.
/// </summary>
public interface IServerMiddleware
{
    /// <summary>Runs around a call; call <paramref name="next"/> to continue.</summary>
    ValueTask InvokeAsync(ServerCallContext context, ServerCallHandler next);
}
