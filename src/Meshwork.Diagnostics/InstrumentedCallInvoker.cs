using System.Diagnostics;
using System.Runtime.CompilerServices;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Diagnostics;

/// <summary>
/// Wraps any <see cref="CallInvoker"/> (an <see cref="RpcChannel"/>, a governed invoker) with a client span per logical
/// call, the caller's W3C trace context in the request metadata, and the client call instruments. The span covers the
/// whole call: every retry or hedge of a governed invoker, and a stream until its last message.
/// While nobody listens and no span is current, each call goes straight to the inner invoker: no allocation, no clock read.
/// </summary>
public sealed class InstrumentedCallInvoker : CallInvoker
{
    private readonly CallInvoker _inner;

    /// <summary>Instruments calls made through <paramref name="inner"/>.</summary>
    public InstrumentedCallInvoker(CallInvoker inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <summary>The invoker that makes the calls.</summary>
    public CallInvoker Inner => _inner;

    /// <summary>Propagation alone (no listener, but an ambient span, e.g. an ASP.NET Core request) still needs the headers.</summary>
    private static bool Active => RpcInstruments.ClientObserved || Activity.Current is not null;

    /// <inheritdoc/>
    public override ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return Active ? UnaryInstrumentedAsync(method, request, options) : _inner.UnaryAsync(method, request, options);
    }

    private async ValueTask<TResponse> UnaryInstrumentedAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options)
    {
        var scope = ClientCallScope.Begin(method.Service, method.Name, method.Kind, ref options);
        try
        {
            var response = await _inner.UnaryAsync(method, request, options).ConfigureAwait(false);
            scope.End(StatusCode.OK, null);
            return response;
        }
        catch (Exception e)
        {
            scope.End(RpcInstruments.StatusOf(e), e.Message);
            throw;
        }
    }

    /// <inheritdoc/>
    public override ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return Active ? OneWayInstrumentedAsync(method, request, options) : _inner.OneWayAsync(method, request, options);
    }

    private async ValueTask OneWayInstrumentedAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options)
    {
        var scope = ClientCallScope.Begin(method.Service, method.Name, method.Kind, ref options);
        try
        {
            await _inner.OneWayAsync(method, request, options).ConfigureAwait(false);
            scope.End(StatusCode.OK, null);
        }
        catch (Exception e)
        {
            scope.End(RpcInstruments.StatusOf(e), e.Message);
            throw;
        }
    }

    /// <inheritdoc/>
    public override ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        return Active ? ClientStreamingInstrumentedAsync(method, requests, options) : _inner.ClientStreamingAsync(method, requests, options);
    }

    private async ValueTask<TResponse> ClientStreamingInstrumentedAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options)
    {
        var scope = ClientCallScope.Begin(method.Service, method.Name, method.Kind, ref options);
        try
        {
            var response = await _inner.ClientStreamingAsync(method, requests, options).ConfigureAwait(false);
            scope.End(StatusCode.OK, null);
            return response;
        }
        catch (Exception e)
        {
            scope.End(RpcInstruments.StatusOf(e), e.Message);
            throw;
        }
    }

    /// <inheritdoc/>
    public override IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!Active) return _inner.ServerStreaming(method, request, options);
        return StreamInstrumented(method.Service, method.Name, method.Kind, options, o => _inner.ServerStreaming(method, request, o));
    }

    /// <inheritdoc/>
    public override IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (!Active) return _inner.DuplexStreaming(method, requests, options);
        return StreamInstrumented(method.Service, method.Name, method.Kind, options, o => _inner.DuplexStreaming(method, requests, o));
    }

    private static async IAsyncEnumerable<TResponse> StreamInstrumented<TResponse>(string service, string methodName, Rpc.Protocol.CallKind kind, CallOptions options,
        Func<CallOptions, IAsyncEnumerable<TResponse>> open, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var scope = ClientCallScope.Begin(service, methodName, kind, ref options);
        var status = StatusCode.Cancelled; // the consumer left the loop early: the call was cancelled
        string? message = "the caller stopped reading the stream";
        var tags = RpcInstruments.CallTags(service, methodName);
        try
        {
            var enumerator = open(options).GetAsyncEnumerator(cancellationToken);
            await using (enumerator.ConfigureAwait(false))
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await enumerator.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (Exception e)
                    {
                        status = RpcInstruments.StatusOf(e);
                        message = e.Message;
                        throw;
                    }
                    if (!more) break;
                    if (RpcInstruments.ClientStreamMessages.Enabled) RpcInstruments.ClientStreamMessages.Add(1, tags);
                    yield return enumerator.Current;
                }
            }
            status = StatusCode.OK;
            message = null;
        }
        finally
        {
            scope.End(status, message);
        }
    }
}
