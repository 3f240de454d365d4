using System.Globalization;
using System.Runtime.CompilerServices;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Tars;

/// <summary>
/// A <see cref="CallInvoker"/> that calls TARS servers: built from a TARS proxy string
/// (<c>App.Server.Obj@tcp -h … -p … -t …:udp …:ssl …</c>, calls spread round-robin over the endpoints, a connection failure
/// moves on to the next endpoint) or from a locator (object names resolved through a TARS registry's <c>QueryObj</c> and
/// refreshed). It carries <see cref="Method{TRequest, TResponse}"/>s of <see cref="TarsInvocation"/> →
/// <see cref="TarsReply"/> (<see cref="TarsMethods"/>): the method's service is the object name, its name the function.
/// Failures are <see cref="RpcException"/>s with a mapped status and the TARS code in the <c>tars-ret</c> trailer, so
/// governance and middleware treat TARS calls like native ones.
/// </summary>
public sealed partial class TarsChannel : CallInvoker, IAsyncDisposable
{
    private readonly TarsClientOptions _options;
    private readonly ILogger _log;
    private readonly LogRateLimiter _malformedLog;
    private readonly IClientMiddleware[] _middleware;
    private readonly IReadOnlyList<TarsEndpoint>? _direct;
    private readonly TarsChannel? _locator;
    private readonly string? _locatorObject;
    private readonly Dictionary<(TarsTransport Transport, string Host, int Port), TarsEndpointSlot> _slots = new();
    private readonly Dictionary<string, Resolution> _resolved = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposed = new();
    private readonly ObjectPool<TarsParameterWriter> _argumentWriters = new(64);
    private int _roundRobin;

    private sealed class Resolution
    {
        public TarsEndpointSlot[] Slots = [];
        public long ResolvedMicros;
        public Task? Refreshing;
    }

    private TarsChannel(string? objectName, IReadOnlyList<TarsEndpoint>? direct, TarsClientOptions options)
    {
        options.Validate();
        _options = options;
        _log = options.LoggerFactory?.CreateLogger("Meshwork.Tars.Client") ?? NullLogger.Instance;
        _malformedLog = new LogRateLimiter(TimeSpan.FromSeconds(10));
        _middleware = [.. options.Middleware];
        ObjectName = objectName;
        _direct = direct;
        if (direct is null)
        {
            if (options.Locator is null)
                throw new ArgumentException($"the TARS proxy string '{objectName}' has no endpoints (@tcp -h … -p …) and TarsClientOptions.Locator is not set");
            var locator = TarsProxyString.Parse(options.Locator);
            if (locator.Endpoints.Count == 0) throw new ArgumentException($"TarsClientOptions.Locator '{options.Locator}' must name endpoints (@tcp -h … -p …)");
            var locatorOptions = new TarsClientOptions
            {
                DefaultTimeout = options.DefaultTimeout,
                ConnectTimeout = options.ConnectTimeout,
                MaxPacketSize = options.MaxPacketSize,
                MaxUdpDatagramSize = options.MaxUdpDatagramSize,
                Tls = options.Tls,
                MaxDepth = options.MaxDepth,
                LoggerFactory = options.LoggerFactory,
            };
            _locator = new TarsChannel(locator.ObjectName, locator.Endpoints, locatorOptions);
            _locatorObject = locator.ObjectName;
        }
    }

    /// <summary>A channel for a TARS proxy string. Without <c>@endpoints</c>, <see cref="TarsClientOptions.Locator"/> must be set.</summary>
    /// <param name="proxyString">E.g. <c>MeshTest.EchoServer.EchoObj@tcp -h 127.0.0.1 -p 18015 -t 60000</c>.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <returns>The channel (connections open on the first call).</returns>
    /// <exception cref="TarsProxyFormatException">The proxy string is malformed.</exception>
    /// <exception cref="ArgumentException">An option is invalid, or no endpoints and no locator are given.</exception>
    public static TarsChannel ForProxy(string proxyString, TarsClientOptions? options = null)
    {
        var proxy = TarsProxyString.Parse(proxyString);
        return new TarsChannel(proxy.ObjectName, proxy.Endpoints.Count > 0 ? proxy.Endpoints : null, options ?? new TarsClientOptions());
    }

    /// <summary>A channel that resolves every object it calls through <see cref="TarsClientOptions.Locator"/>.</summary>
    /// <param name="options">Settings with <see cref="TarsClientOptions.Locator"/> set.</param>
    /// <returns>The channel.</returns>
    public static TarsChannel ForLocator(TarsClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TarsChannel(null, null, options);
    }

    /// <summary>The object name of the proxy string this channel was built from (null for <see cref="ForLocator"/>).</summary>
    public string? ObjectName { get; }

    /// <summary>The settings.</summary>
    public TarsClientOptions Options => _options;

    /// <summary>A two-way method of <see cref="ObjectName"/> (shortcut for <see cref="TarsMethods.Unary"/>).</summary>
    /// <param name="function">The function name.</param>
    /// <param name="idempotent">Safe to retry.</param>
    /// <returns>The descriptor.</returns>
    public Method<TarsInvocation, TarsReply> Unary(string function, bool idempotent = false) =>
        TarsMethods.Unary(ObjectName ?? throw new InvalidOperationException("a locator channel has no object name of its own"), function, idempotent);

    /// <summary>Calls a TARS function and returns its reply; a non-zero <c>iRet</c>, a timeout or a lost connection throws <see cref="RpcException"/>.</summary>
    /// <typeparam name="TRequest">Must be <see cref="TarsInvocation"/>.</typeparam>
    /// <typeparam name="TResponse">Must be <see cref="TarsReply"/>.</typeparam>
    /// <param name="method">The object and function (<see cref="TarsMethods.Unary"/>).</param>
    /// <param name="request">The arguments and context.</param>
    /// <param name="options">Timeout (else <see cref="TarsClientOptions.DefaultTimeout"/>), headers (sent in the context map), cancellation.</param>
    /// <returns>The reply.</returns>
    public override ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (typeof(TRequest) != typeof(TarsInvocation) || typeof(TResponse) != typeof(TarsReply))
            throw new ArgumentException($"a TARS channel carries Method<TarsInvocation, TarsReply> (see TarsMethods), not {method.FullName} of {typeof(TRequest).Name} → {typeof(TResponse).Name}");
        if (_middleware.Length == 0)
        {
            // TResponse is TarsReply (checked above), so the task is reinterpreted, not wrapped in another async method.
            var pending = CallAsync(method.Service, method.Name, (TarsInvocation)(object)request!, options, oneWay: false);
            return Unsafe.As<ValueTask<TarsReply?>, ValueTask<TResponse>>(ref pending);
        }
        return WithMiddlewareAsync<TRequest, TResponse>(method.Service, method.Name, method.Kind, request, options, oneWay: false);
    }

    /// <summary>Sends a one-way TARS call (<c>cPacketType</c> 1): returns once written; the server never answers.</summary>
    /// <typeparam name="TRequest">Must be <see cref="TarsInvocation"/>.</typeparam>
    /// <param name="method">The object and function (<see cref="TarsMethods.OneWay"/>).</param>
    /// <param name="request">The arguments and context.</param>
    /// <param name="options">Headers and cancellation.</param>
    /// <returns>Completes when the request is written.</returns>
    public override async ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (typeof(TRequest) != typeof(TarsInvocation))
            throw new ArgumentException($"a TARS channel carries Method<TarsInvocation, Empty> for one-way calls (see TarsMethods), not {method.FullName}");
        if (_middleware.Length == 0)
        {
            await CallAsync(method.Service, method.Name, (TarsInvocation)(object)request!, options, oneWay: true).ConfigureAwait(false);
            return;
        }
        await WithMiddlewareAsync<TRequest, Empty>(method.Service, method.Name, method.Kind, request, options, oneWay: true).ConfigureAwait(false);
    }

    private async ValueTask<TResponse> WithMiddlewareAsync<TRequest, TResponse>(string service, string function, Meshwork.Rpc.Protocol.CallKind kind,
        TRequest request, CallOptions options, bool oneWay)
    {
        var context = new ClientCallContext(service, function, kind, options, request);
        ClientCallHandler next = async ctx =>
        {
            var callOptions = ctx.Options with { Headers = ctx.HeadersIfAny };
            ctx.Response = await CallAsync(ctx.Service, ctx.Method, (TarsInvocation)ctx.Request!, callOptions, oneWay).ConfigureAwait(false);
        };
        for (int i = _middleware.Length - 1; i >= 0; i--)
        {
            var m = _middleware[i];
            var inner = next;
            next = ctx => m.InvokeAsync(ctx, inner);
        }
        await next(context).ConfigureAwait(false);
        return oneWay ? default! : (TResponse)context.Response!;
    }

    private ValueTask<TarsReply?> CallAsync(string objectName, string function, TarsInvocation invocation, CallOptions options, bool oneWay) =>
        CallObserved ? ObservedCallAsync(objectName, function, invocation, options, oneWay) : CallCoreAsync(objectName, function, invocation, options, oneWay);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TarsReply?> CallCoreAsync(string objectName, string function, TarsInvocation invocation, CallOptions options, bool oneWay)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        var ct = options.CancellationToken;
        if (ct.IsCancellationRequested) throw new RpcException(StatusCode.Cancelled, $"TARS call {objectName}.{function} was cancelled before it started");
        var timeout = options.Timeout ?? _options.DefaultTimeout;
        if (timeout <= TimeSpan.Zero)
            throw TarsStatusMapping.ToRpcException(TarsReturnCode.InvokeTimeout, $"TARS call {objectName}.{function}: no time left (timeout {timeout.TotalMilliseconds:0} ms)");
        long started = Clock.NowMicros;

        short version = _options.Version;
        var arguments = _argumentWriters.TryRent() ?? new TarsParameterWriter(version);
        try
        {
            invocation.Arguments?.WriteTo(arguments);
            var context = MergeContext(invocation.Context, options.Headers);
            int timeoutMs = (int)Math.Min(int.MaxValue, Math.Ceiling(timeout.TotalMilliseconds));
            TarsEndpointSlot[] slots;
            try
            {
                slots = await SlotsAsync(objectName, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw new RpcException(StatusCode.Cancelled, $"TARS call {objectName}.{function} was cancelled while its endpoints were being resolved");
            }
            RpcException? connectError = null;
            int first = (int)((uint)Interlocked.Increment(ref _roundRobin) % (uint)slots.Length);
            for (int attempt = 0; attempt < slots.Length; attempt++)
            {
                var slot = slots[(first + attempt) % slots.Length];
                if (!slot.IsAvailable && attempt < slots.Length - 1 && slots.Any(s => s.IsAvailable)) continue;
                TarsClientConnection connection;
                try
                {
                    connection = await slot.GetAsync(ct).ConfigureAwait(false);
                }
                catch (RpcException e) when (e.Status == StatusCode.Unavailable)
                {
                    connectError = e; // nothing was sent: safe to try the next endpoint
                    continue;
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    throw new RpcException(StatusCode.Cancelled, $"TARS call {objectName}.{function} was cancelled while connecting to {slot.Endpoint}");
                }
                return await SendAndWaitAsync(connection, slot.Endpoint, objectName, function, invocation, version, arguments, context, timeout, timeoutMs,
                    started, oneWay, ct).ConfigureAwait(false);
            }
            throw connectError ?? TarsStatusMapping.ToRpcException(TarsReturnCode.AdapterNull, $"TARS call {objectName}.{function}: no endpoint is available");
        }
        finally
        {
            ReturnArguments(arguments);
        }
    }

    /// <summary>Keeps an argument writer for the next call unless its buffer grew large (a big call's array goes back to the pool).</summary>
    private void ReturnArguments(TarsParameterWriter arguments)
    {
        if (arguments.RetainedBytes > 64 * 1024)
        {
            arguments.Dispose();
            return;
        }
        arguments.Clear();
        _argumentWriters.Return(arguments);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<TarsReply?> SendAndWaitAsync(TarsClientConnection connection, TarsEndpoint endpoint, string objectName, string function,
        TarsInvocation invocation, short version, TarsParameterWriter arguments, IReadOnlyDictionary<string, string>? context, TimeSpan timeout, int timeoutMs,
        long started, bool oneWay, CancellationToken ct)
    {
        long deadline = oneWay ? 0 : started + Math.Max(1, (long)timeout.TotalMicroseconds);
        var call = connection.TryRegister(deadline);
        if (call is null)
        {
            throw new RpcException(StatusCode.ResourceExhausted,
                $"TARS call {objectName}.{function}: {_options.MaxInFlightPerConnection} calls already in flight to {endpoint} (MaxInFlightPerConnection)");
        }
        try
        {
            var request = new TarsRequestFrame(version, oneWay ? TarsPacketType.OneWay : TarsPacketType.Normal, invocation.MessageType, call.RequestId,
                objectName, function, arguments, timeoutMs, context, invocation.Status);
            if (!oneWay) call.CancelWith(ct);
            try
            {
                await connection.SendRequestAsync(request, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw new RpcException(StatusCode.Cancelled, $"TARS call {objectName}.{function} to {endpoint} was cancelled before its request was sent");
            }
            catch (TarsPacketTooLargeException e)
            {
                throw new RpcException(StatusCode.ResourceExhausted, $"TARS call {objectName}.{function} to {endpoint}: {e.Message} ({connection.MaxFrameSizeSetting})");
            }
            if (oneWay) return null;
            byte[] body;
            try
            {
                body = await call.Reply.ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw TarsStatusMapping.ToRpcException(TarsReturnCode.InvokeTimeout,
                    $"TARS call {objectName}.{function} to {endpoint}: no reply within {timeoutMs} ms (request id {call.RequestId})");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw new RpcException(StatusCode.Cancelled, $"TARS call {objectName}.{function} to {endpoint} was cancelled");
            }
            TarsClientMetrics.Size(TarsClientMetrics.ResponseSize, objectName, function, body.Length + TarsFrame.PrefixLength);
            return DecodeReply(body, version, endpoint, objectName, function);
        }
        finally
        {
            connection.Forget(call);
        }
    }

    private TarsReply DecodeReply(byte[] body, short version, TarsEndpoint endpoint, string objectName, string function)
    {
        int code;
        string description;
        ReadOnlyMemory<byte> buffer;
        IReadOnlyDictionary<string, string> status, context;
        try
        {
            if (TarsVersion.IsTup(version))
            {
                var packet = TarsRequestPacket.Decode(body, _options.MaxDepth);
                status = packet.Status;
                context = packet.Context;
                buffer = packet.Buffer;
                code = status.TryGetValue(TarsKeys.StatusResultCode, out var text) && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int c) ? c : 0;
                description = status.TryGetValue(TarsKeys.StatusResultDesc, out var desc) ? desc : "";
                version = packet.Version is TarsVersion.Tup or TarsVersion.TupComplex ? packet.Version : version;
            }
            else
            {
                var packet = TarsResponsePacket.Decode(body, _options.MaxDepth);
                status = packet.Status;
                context = packet.Context;
                buffer = packet.Buffer;
                code = packet.ReturnCode;
                description = packet.ResultDescription;
            }
        }
        catch (TarsDecodeException e)
        {
            throw TarsStatusMapping.ToRpcException(TarsReturnCode.ClientDecodeError, $"TARS call {objectName}.{function} to {endpoint}: cannot decode the reply: {e.Message}");
        }
        if (code != TarsReturnCode.Success)
        {
            string text = description.Length > 0 ? description : DescribeCode(code);
            throw TarsStatusMapping.ToRpcException(code, $"TARS call {objectName}.{function} to {endpoint} failed with iRet {code}: {text}");
        }
        try
        {
            return new TarsReply(new TarsParameters(version, buffer, _options.MaxDepth), context, status);
        }
        catch (TarsDecodeException e)
        {
            throw TarsStatusMapping.ToRpcException(TarsReturnCode.ClientDecodeError, $"TARS call {objectName}.{function} to {endpoint}: cannot decode the results: {e.Message}");
        }
    }

    private static string DescribeCode(int code) => code switch
    {
        TarsReturnCode.ServerDecodeError => "the server could not decode the request",
        TarsReturnCode.ServerEncodeError => "the server could not encode the reply",
        TarsReturnCode.NoFunction => "no such function",
        TarsReturnCode.NoServant => "no such object at this endpoint",
        TarsReturnCode.ServerQueueTimeout => "the request timed out in the server",
        TarsReturnCode.ServerOverload => "the server is overloaded",
        TarsReturnCode.ServerUnknownError => "unknown server error",
        _ => "no description",
    };

    private static IReadOnlyDictionary<string, string>? MergeContext(IReadOnlyDictionary<string, string>? context, Metadata? headers)
    {
        if (headers is null || headers.Count == 0) return context; // written as it is: nothing to merge, nothing to copy
        var merged = context is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(context, StringComparer.Ordinal);
        if (headers is not null)
        {
            foreach (var (k, v) in headers) merged.TryAdd(k, v);
        }
        return merged;
    }

    // ---- endpoints ------------------------------------------------------------------------------------------------

    private async ValueTask<TarsEndpointSlot[]> SlotsAsync(string objectName, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        if (_direct is not null)
        {
            lock (_gate)
            {
                if (_resolved.TryGetValue("", out var fixedSet)) return fixedSet.Slots;
                var slots = _direct.Select(SlotFor).ToArray();
                _resolved[""] = new Resolution { Slots = slots };
                return slots;
            }
        }
        Resolution? resolution;
        lock (_gate) _resolved.TryGetValue(objectName, out resolution);
        if (resolution is not null && resolution.Slots.Length > 0)
        {
            if (Clock.NowMicros - resolution.ResolvedMicros > (long)_options.LocatorRefreshInterval.TotalMicroseconds) StartRefresh(objectName, resolution);
            return resolution.Slots;
        }
        await ResolveAsync(objectName, ct).ConfigureAwait(false);
        lock (_gate) resolution = _resolved[objectName];
        if (resolution.Slots.Length == 0)
            throw TarsStatusMapping.ToRpcException(TarsReturnCode.AdapterNull, $"the TARS registry {_options.Locator} knows no active endpoint of {objectName}");
        return resolution.Slots;
    }

    private void StartRefresh(string objectName, Resolution resolution)
    {
        lock (_gate)
        {
            if (resolution.Refreshing is { IsCompleted: false }) return;
            resolution.Refreshing = RefreshQuietlyAsync(objectName);
        }
    }

    private async Task RefreshQuietlyAsync(string objectName)
    {
        try
        {
            await ResolveAsync(objectName, _disposed.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or TarsDecodeException or OperationCanceledException)
        {
            TarsLog.RegistryLookupFailed(_log, objectName, e.Message); // keep using the endpoints resolved before
        }
    }

    private async Task ResolveAsync(string objectName, CancellationToken ct)
    {
        List<EndpointF> found;
        try
        {
            found = await QueryFClient.FindObjectByIdAsync(_locator!, _locatorObject!, objectName, ct).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw new RpcException(StatusCode.Unavailable, $"resolving {objectName} through the TARS registry {_options.Locator} failed: {e.Message}", e);
        }
        TarsEndpointSlot[] retired;
        lock (_gate)
        {
            var slots = found.Select(f => f.ToEndpoint()).Select(SlotFor).ToArray();
            _resolved[objectName] = new Resolution { Slots = slots, ResolvedMicros = Clock.NowMicros };
            // Endpoints no object resolves to any more are closed and forgotten, so registry churn cannot grow the table.
            var live = _resolved.Values.SelectMany(r => r.Slots).ToHashSet();
            retired = [.. _slots.Values.Where(s => !live.Contains(s))];
            foreach (var s in retired) _slots.Remove((s.Endpoint.Transport, s.Endpoint.Host, s.Endpoint.Port));
        }
        foreach (var s in retired) s.Close();
    }

    private TarsEndpointSlot SlotFor(TarsEndpoint endpoint)
    {
        var key = (endpoint.Transport, endpoint.Host, endpoint.Port);
        if (!_slots.TryGetValue(key, out var slot)) _slots[key] = slot = new TarsEndpointSlot(endpoint, _options, _log, _malformedLog);
        return slot;
    }

    // ---- streaming: not in TARS ----------------------------------------------------------------------------------

    /// <summary>TARS has no streaming calls: throws <see cref="RpcException"/> (Unimplemented).</summary>
    /// <typeparam name="TRequest">Request type.</typeparam>
    /// <typeparam name="TResponse">Response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="request">The request.</param>
    /// <param name="options">Options.</param>
    /// <returns>Never returns.</returns>
    public override IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
        throw NoStreaming(method.FullName);

    /// <summary>TARS has no streaming calls: throws <see cref="RpcException"/> (Unimplemented).</summary>
    /// <typeparam name="TRequest">Request type.</typeparam>
    /// <typeparam name="TResponse">Response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="requests">The requests.</param>
    /// <param name="options">Options.</param>
    /// <returns>Never returns.</returns>
    public override ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default) =>
        throw NoStreaming(method.FullName);

    /// <summary>TARS has no streaming calls: throws <see cref="RpcException"/> (Unimplemented).</summary>
    /// <typeparam name="TRequest">Request type.</typeparam>
    /// <typeparam name="TResponse">Response type.</typeparam>
    /// <param name="method">The method.</param>
    /// <param name="requests">The requests.</param>
    /// <param name="options">Options.</param>
    /// <returns>Never returns.</returns>
    public override IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default) =>
        throw NoStreaming(method.FullName);

    private static RpcException NoStreaming(string name) => new(StatusCode.Unimplemented, $"{name}: TARS has no streaming calls");

    /// <summary>Closes every connection; calls in flight fail with Unavailable.</summary>
    /// <returns>Completes when closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_disposed.IsCancellationRequested) return;
        await _disposed.CancelAsync().ConfigureAwait(false);
        TarsEndpointSlot[] slots;
        lock (_gate) slots = [.. _slots.Values];
        foreach (var s in slots) s.Close();
        if (_locator is not null) await _locator.DisposeAsync().ConfigureAwait(false);
    }
}
