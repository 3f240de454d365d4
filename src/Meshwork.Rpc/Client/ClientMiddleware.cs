using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Client;

/// <summary>What client middleware sees of a call. Middleware may change headers and the request, short-circuit by setting
/// <see cref="Response"/> without calling next, or observe the response and failures.</summary>
public sealed class ClientCallContext
{
    internal ClientCallContext(string service, string method, CallKind kind, CallOptions options, object? request)
    {
        Service = service;
        Method = method;
        Kind = kind;
        Options = options;
        Request = request;
    }

    /// <summary>Service name on the wire.</summary>
    public string Service { get; }
    /// <summary>Method name on the wire.</summary>
    public string Method { get; }
    /// <summary>Shape of the call (unary, one-way, streaming).</summary>
    public CallKind Kind { get; }

    /// <summary>Request headers; created on first access and sent with the call.</summary>
    public Metadata Headers => _headers ??= CopyHeaders();

    private Metadata? _headers;

    private Metadata CopyHeaders()
    {
        var md = new Metadata();
        md.AddRange(Options.Headers);
        return md;
    }

    internal Metadata? HeadersIfAny => _headers ?? Options.Headers;

    /// <summary>The call's options (timeout, headers, compression, cancellation); middleware may replace them before calling next.</summary>
    public CallOptions Options { get; set; }

    /// <summary>The request message (null for client and duplex streams).</summary>
    public object? Request { get; set; }

    /// <summary>The response: the reply for unary calls, the stream object for streaming calls.</summary>
    public object? Response { get; set; }

    /// <summary>Free-form state shared by middleware of one call.</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>();

    private Dictionary<string, object?>? _items;
}

/// <summary>The rest of the client pipeline: the next middleware, or the call itself.</summary>
public delegate ValueTask ClientCallHandler(ClientCallContext context);

/// <summary>Client interceptor (the brief's filter chain). Registered middleware runs outermost first.</summary>
public interface IClientMiddleware
{
    /// <summary>Runs around a call; call <paramref name="next"/> to continue, or set <see cref="ClientCallContext.Response"/> and return to answer locally.</summary>
    ValueTask InvokeAsync(ClientCallContext context, ClientCallHandler next);
}
