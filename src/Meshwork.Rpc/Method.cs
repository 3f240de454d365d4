using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc;

/// <summary>Describes one remote method: its names, shape and message types. Generated code creates these once, statically.</summary>
public sealed class Method<TRequest, TResponse>
{
    /// <summary>Describes <paramref name="service"/>/<paramref name="name"/>; both must be non-empty.</summary>
    public Method(string service, string name, CallKind kind, MessageType<TRequest> requestType, MessageType<TResponse> responseType, bool idempotent = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        ArgumentException.ThrowIfNullOrEmpty(name);
        Service = service;
        Name = name;
        Kind = kind;
        RequestType = requestType;
        ResponseType = responseType;
        Idempotent = idempotent;
        FullName = service + "/" + name;
        EncodedNames = HeaderCodec.EncodeNames(service, name);
    }

    /// <summary>The service and method entries of a request header, encoded once (see <see cref="FrameHeader.EncodedNames"/>).</summary>
    internal byte[] EncodedNames { get; }

    /// <summary>Service name on the wire.</summary>
    public string Service { get; }
    /// <summary>Method name on the wire.</summary>
    public string Name { get; }
    /// <summary><c>Service/Name</c>, as used in logs and error messages.</summary>
    public string FullName { get; }
    /// <summary>Shape of the call; the server rejects a call whose kind differs from the method's.</summary>
    public CallKind Kind { get; }
    /// <summary>How request messages are serialized.</summary>
    public MessageType<TRequest> RequestType { get; }
    /// <summary>How response messages are serialized.</summary>
    public MessageType<TResponse> ResponseType { get; }

    /// <summary>Safe to retry: calling twice has the same effect as once. Retry policies only retry idempotent methods unless told otherwise.</summary>
    public bool Idempotent { get; }

    /// <inheritdoc/>
    public override string ToString() => FullName;
}

/// <summary>Per-call settings. All optional; defaults come from the client options.</summary>
public readonly record struct CallOptions
{
    /// <summary>Options that only carry a cancellation token.</summary>
    public CallOptions(CancellationToken cancellationToken) => CancellationToken = cancellationToken;

    /// <summary>Cancels the call: the client sends a cancel frame and the server's handler token fires.</summary>
    public CancellationToken CancellationToken { get; init; }

    /// <summary>Time budget for the call, measured from when it starts. Overrides the client's default timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Request headers sent to the server.</summary>
    public Metadata? Headers { get; init; }

    /// <summary>Compression for the request body ("gzip", "br"), regardless of size.</summary>
    public string? Compression { get; init; }

    /// <summary>Lets a <see cref="System.Threading.CancellationToken"/> be passed where options are expected.</summary>
    public static implicit operator CallOptions(CancellationToken ct) => new(ct);
}
