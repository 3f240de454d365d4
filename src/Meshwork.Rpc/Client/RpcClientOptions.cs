using System.ComponentModel.DataAnnotations;
using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Logging;

namespace Meshwork.Rpc.Client;

/// <summary>
/// Client knobs. Every default is chosen for a LAN service mesh and documented with the reason;
/// <see cref="Validate"/> runs when a channel is created so a bad value fails at start, not on the first call.
/// </summary>
public sealed class RpcClientOptions
{
    /// <summary>Connections opened to each endpoint; calls are spread round-robin. Default 1: one multiplexed connection saturates most services.</summary>
    [Range(1, 64)]
    public int ConnectionsPerEndpoint { get; set; } = 1;

    /// <summary>Concurrent calls per connection; further calls wait (back-pressure) until one finishes or their deadline passes. Default 1024.</summary>
    [Range(1, 1_000_000)]
    public int MaxConcurrentStreamsPerConnection { get; set; } = 1024;

    /// <summary>
    /// Where the continuation of a caller whose unary reply arrives runs: <see cref="DispatchMode.Adaptive"/> (default)
    /// runs it on the connection's read loop while continuations are quick, and hands the loop on when one blocks;
    /// <see cref="DispatchMode.Queued"/> always queues it to the channel's completion drainers (one more thread
    /// hand-off per read, up to half the rate of small calls on 2 cores); <see cref="DispatchMode.Inline"/> always runs
    /// it on the read loop. Streaming calls are not affected.
    /// </summary>
    [EnumDataType(typeof(DispatchMode))]
    public DispatchMode CompletionDispatch { get; set; } = DispatchMode.Adaptive;

    /// <summary>
    /// How many of this channel's connections at a time read on a thread of their own, blocking in the socket's
    /// receive, instead of the asynchronous socket model (epoll thread, then a thread-pool worker per readable socket).
    /// Default 16: a dedicated thread is woken by the kernel directly, which on the project's machine halved the CPU
    /// time of a small call (BENCHMARKS.md, "Fifth pass"); a channel rarely holds more connections than that. The
    /// connect of such a connection is a blocking one on a thread of its own (an asynchronous connect would leave the
    /// socket non-blocking). Connections beyond it, TLS connections and every connection off Linux use the
    /// asynchronous model; a connection whose kernel send buffer fills goes over to it for good (a blocking send would
    /// stop its reads). Callers' continuations that run on the read loop (<see cref="CompletionDispatch"/>) run on
    /// this thread. 0 turns it off.
    /// </summary>
    [Range(0, 100_000)]
    public int ReaderThreads { get; set; } = 16;

    /// <summary>Largest frame sent or accepted. Default 4 MiB; must match the server.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxFrameSize { get; set; } = FrameLayout.DefaultMaxFrameSize;

    /// <summary>Largest decompressed message accepted. Default 64 MiB, which stops decompression bombs.</summary>
    [Range(1024, int.MaxValue)]
    public int MaxMessageSize { get; set; } = 64 * 1024 * 1024;

    /// <summary>
    /// Bytes queued for a server that has not read them yet, at which new calls and stream messages on that connection
    /// wait (within their deadline) until the server reads, instead of growing the client's heap. Default 1 MiB: enough
    /// to keep a fast link busy, small enough that a server that stops reading costs little.
    /// </summary>
    [Range(64 * 1024, long.MaxValue)]
    public long MaxQueuedWriteBytes { get; set; } = 1024L * 1024;

    /// <summary>
    /// A connection with requests queued for a server of which nothing could be sent for this long is closed (the server
    /// stopped reading); its calls fail with <see cref="StatusCode.Unavailable"/>. Default 30 s: far longer than any pause
    /// of a live server. Zero disables.
    /// </summary>
    public TimeSpan WriteStallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Time budget for calls that set no timeout. Default null (none), as in gRPC; set it for production meshes.</summary>
    public TimeSpan? DefaultTimeout { get; set; }

    /// <summary>TCP connect plus TLS handshake budget. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// First reconnect delay after a failed connect; doubles per failure up to <see cref="ReconnectBackoffMax"/>. Each
    /// wait is 80–100 % of that delay, at random, so clients that lost a server together do not return in step. Default 100 ms.
    /// </summary>
    public TimeSpan ReconnectBackoffInitial { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Ceiling of the reconnect delay. Default 5 s, so a restarted server is found again quickly.</summary>
    public TimeSpan ReconnectBackoffMax { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Idle time after which a heartbeat is sent. Default 30 s. Zero turns heartbeats off.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long to wait for a heartbeat answer before declaring the connection dead. Default 10 s.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Close a connection with no calls for this long. Default 5 min; zero keeps connections forever.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Messages the client lets a server stream send ahead of the consumer. Default 64.</summary>
    [Range(1, 1_000_000)]
    public int StreamWindow { get; set; } = FrameLayout.DefaultStreamWindow;

    /// <summary>Serializers; the default one encodes requests. Default MessagePack (+ Protobuf).</summary>
    public SerializerRegistry Serializers { get; set; } = SerializerRegistry.CreateDefault();

    /// <summary>Known compressors and the automatic-compression threshold for request bodies. Default gzip and brotli, bodies of 2 MiB or more compressed with gzip.</summary>
    public CompressionOptions Compression { get; set; } = new();

    /// <summary>TLS settings; null for plaintext.</summary>
    public TlsClientOptions? Tls { get; set; }

    /// <summary>Client middleware, outermost first.</summary>
    public IList<IClientMiddleware> Middleware { get; } = new List<IClientMiddleware>();

    /// <summary>Where the client logs connects, go-aways and heartbeat timeouts. Default none (no logging).</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string type = nameof(RpcClientOptions);
        OptionsValidation.Validate(this, type);
        OptionsValidation.Positive(ConnectTimeout, type, nameof(ConnectTimeout));
        OptionsValidation.Positive(ReconnectBackoffInitial, type, nameof(ReconnectBackoffInitial));
        if (ReconnectBackoffMax < ReconnectBackoffInitial)
        {
            throw new InvalidOptionException(type, nameof(ReconnectBackoffMax), $"must be at least ReconnectBackoffInitial ({ReconnectBackoffMax} < {ReconnectBackoffInitial})");
        }
        if (DefaultTimeout is { } t) OptionsValidation.Positive(t, type, nameof(DefaultTimeout));
        if (KeepAliveInterval < TimeSpan.Zero) throw new InvalidOptionException(type, nameof(KeepAliveInterval), $"cannot be negative (was {KeepAliveInterval})");
        if (KeepAliveInterval > TimeSpan.Zero) OptionsValidation.Positive(KeepAliveTimeout, type, nameof(KeepAliveTimeout));
        if (IdleTimeout < TimeSpan.Zero) throw new InvalidOptionException(type, nameof(IdleTimeout), $"cannot be negative (was {IdleTimeout})");
        if (WriteStallTimeout < TimeSpan.Zero) throw new InvalidOptionException(type, nameof(WriteStallTimeout), $"cannot be negative (was {WriteStallTimeout})");
        if (MaxMessageSize < MaxFrameSize) throw new InvalidOptionException(type, nameof(MaxMessageSize), $"must be at least MaxFrameSize ({MaxMessageSize} < {MaxFrameSize})");
    }
}
