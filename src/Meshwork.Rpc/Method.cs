using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc;

/// <summary>Describes one remote method: its names, shape and message types. Generated code creates these once, statically.</summary>
public sealed class Method<TRequest, TResponse>
{
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
    }

    public string Service { get; }
    public string Name { get; }
    public string FullName { get; }
    public CallKind Kind { get; }
    public MessageType<TRequest> RequestType { get; }
    public MessageType<TResponse> ResponseType { get; }

    /// <summary>Safe to retry: calling twice has the same effect as once. Retry policies only retry idempotent methods unless told otherwise.</summary>
    public bool Idempotent { get; }

    public override string ToString() => FullName;
}

/// <summary>Per-call settings. All optional; defaults come from the client options.</summary>
public readonly record struct CallOptions
{
    public CallOptions(CancellationToken cancellationToken) => CancellationToken = cancellationToken;

    public CancellationToken CancellationToken { get; init; }

    /// <summary>Time budget for the call, measured from when it starts. Overrides the client's default timeout.</summary>
    public TimeSpan? Timeout { get; init; }

    /// <summary>Request headers sent to the server.</summary>
    public Metadata? Headers { get; init; }

    /// <summary>Compression for the request body ("gzip", "br"), regardless of size.</summary>
    public string? Compression { get; init; }

    public static implicit operator CallOptions(CancellationToken ct) => new(ct);
}
