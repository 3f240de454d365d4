using System.ComponentModel.DataAnnotations;
using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Transport;

namespace Meshwork.Rpc.Server;

/// <summary>Server knobs; each default is documented with its reason. <see cref="Validate"/> runs at start.</summary>
public sealed class RpcServerOptions
{
    /// <summary>Addresses to listen on (<c>127.0.0.1:7000</c>, <c>tcp://0.0.0.0:7000</c>, <c>unix:///run/x.sock</c>). Port 0 picks a free port.</summary>
    public IList<string> Endpoints { get; set; } = new List<string>();

    /// <summary>Largest frame accepted or sent. Default 4 MiB (the brief's default); must match clients.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxFrameSize { get; set; } = FrameLayout.DefaultMaxFrameSize;

    /// <summary>Largest decompressed message. Default 64 MiB: bounds decompression bombs.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxMessageSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>Open connections; further connections get an error frame and are closed. Default 10 000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>Calls in flight per connection; beyond it calls are answered ResourceExhausted at once. Default 1024.</summary>
    [Range(1, int.MaxValue)]
    public int MaxConcurrentStreamsPerConnection { get; set; } = 1024;

    /// <summary>Calls in flight across the server; beyond it calls are answered ResourceExhausted at once instead of queueing. Default 100 000.</summary>
    [Range(1, int.MaxValue)]
    public int MaxConcurrentCalls { get; set; } = 100_000;

    /// <summary>How long a graceful stop lets in-flight calls finish after go-away before cancelling them. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections with no calls and no frames for this long get go-away and are closed. Default 10 min; zero disables.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Bytes queued for a client that does not read before its connection is dropped. Default 64 MiB.</summary>
    [Range(64 * 1024, long.MaxValue)]
    public long MaxQueuedWriteBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Messages a client stream may send ahead of the handler. Default 64.</summary>
    [Range(1, 1_000_000)]
    public int StreamWindow { get; set; } = FrameLayout.DefaultStreamWindow;

    /// <summary>Send exception details (type, message, stack) to clients. Default false: never leak internals in production.</summary>
    public bool DetailedErrors { get; set; }

    /// <summary>
    /// Run handlers on the connection's read loop instead of the thread pool. Faster for handlers that complete
    /// synchronously and never block; a blocking handler would stall every call on its connection. Default false.
    /// </summary>
    public bool InlineHandlers { get; set; }

    /// <summary>Serializers the server can decode; replies use the serializer of the request. Default MessagePack and Protobuf.</summary>
    public SerializerRegistry Serializers { get; set; } = SerializerRegistry.CreateDefault();

    /// <summary>Known compressors and the automatic-compression threshold for reply bodies. Default gzip and brotli, bodies of 2 MiB or more compressed with gzip.</summary>
    public CompressionOptions Compression { get; set; } = new();

    /// <summary>TLS; null for plaintext.</summary>
    public TlsServerOptions? Tls { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting; <see cref="RpcServer.StartAsync"/> calls it.</summary>
    public void Validate()
    {
        const string type = nameof(RpcServerOptions);
        OptionsValidation.Validate(this, type);
        if (Endpoints.Count == 0) throw new InvalidOptionException(type, nameof(Endpoints), "at least one endpoint is required (for example 127.0.0.1:7000)");
        foreach (var e in Endpoints)
        {
            try
            {
                RpcEndpoint.Parse(e);
            }
            catch (FormatException ex)
            {
                throw new InvalidOptionException(type, nameof(Endpoints), ex.Message, ex);
            }
        }
        OptionsValidation.Positive(DrainTimeout, type, nameof(DrainTimeout));
        if (IdleTimeout < TimeSpan.Zero) throw new InvalidOptionException(type, nameof(IdleTimeout), $"cannot be negative (was {IdleTimeout})");
        if (MaxMessageSize < MaxFrameSize) throw new InvalidOptionException(type, nameof(MaxMessageSize), $"must be at least MaxFrameSize ({MaxMessageSize} < {MaxFrameSize})");
        if (Tls is not null && Tls.Certificate is null) throw new InvalidOptionException(type, "Tls.Certificate", "is required when TLS is enabled");
        if (Tls?.Certificate is { HasPrivateKey: false }) throw new InvalidOptionException(type, "Tls.Certificate", "has no private key");
    }
}
