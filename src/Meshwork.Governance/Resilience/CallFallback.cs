using Meshwork.Rpc;

namespace Meshwork.Governance.Resilience;

/// <summary>
/// A per-method fallback: produces the response of a unary call whose attempts all failed (or that a client limit
/// refused). Set it with <see cref="CallPolicy.WithFallback{TRequest, TResponse}"/>, which checks the types.
/// </summary>
/// <param name="request">The call's request.</param>
/// <param name="error">The error the call would have thrown (it names the instance and attempts).</param>
/// <param name="cancellationToken">The caller's cancellation.</param>
/// <returns>The response to return instead of the error.</returns>
public delegate ValueTask<object?> CallFallback(object? request, RpcException error, CancellationToken cancellationToken);
