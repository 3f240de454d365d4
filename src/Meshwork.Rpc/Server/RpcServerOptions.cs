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

    /// <summary>
    /// Calls in flight across the server; beyond it calls are answered ResourceExhausted at once instead of queueing.
    /// Default 100 000. Read for every new call, so it may be changed on a running server (the hot reload of
    /// <c>Server:MaxConcurrentCalls</c> relies on it); calls already admitted keep their slot.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int MaxConcurrentCalls { get; set; } = 100_000;

    /// <summary>How long a graceful stop lets in-flight calls finish after go-away before cancelling them. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Connections with no calls and no frames for this long get go-away and are closed. Default 10 min; zero disables.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Per connection: bytes of replies queued for the client plus request bodies of its calls in flight, at which the
    /// server stops reading new requests from it until its queue drains, so that a client that does not read is slowed
    /// down through TCP instead of growing the server's heap. Replies of calls already admitted are still queued.
    /// Default 1 MiB: as much as Kestrel buffers for a request, enough to keep a fast link busy, and 10 000 such
    /// connections are bounded by <see cref="MaxBufferedBytes"/> rather than by 10 000 × this.
    /// </summary>
    [Range(64 * 1024, long.MaxValue)]
    public long MaxQueuedWriteBytes { get; set; } = 1024L * 1024;

    /// <summary>
    /// Server-wide budget for the same bytes over all connections (queued replies, unparsed input, requests in
    /// flight). While it is used up, the server reads only from connections that hold nothing, i.e. whose clients
    /// read their replies; the others wait. Default 128 MiB: an eighth of a 1 GiB container, 128 full connection queues,
    /// far above what clients that read ever hold at once. See <see cref="RpcServer.Buffers"/>.
    /// </summary>
    [Range(1024 * 1024, long.MaxValue)]
    public long MaxBufferedBytes { get; set; } = 128L * 1024 * 1024;

    /// <summary>
    /// A connection with bytes queued for its client of which nothing could be sent for this long is closed (the
    /// client stopped reading), with a counted, rate-limited warning. Default 30 s: far longer than any pause of a
    /// live client, short enough that a stalled one does not hold its memory for long. Zero disables.
    /// </summary>
    public TimeSpan WriteStallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// After a burst (buffered bytes reached half of <see cref="MaxBufferedBytes"/> and then fell to a sixteenth),
    /// run one compacting collection that hands the freed memory back to the operating system, at most once a
    /// minute. Default true: without it the GC keeps the burst's memory committed (measured: 250 MB RSS for a 20 MiB
    /// heap after 256 slow readers left). Turn it off if the process manages GC itself.
    /// </summary>
    public bool TrimMemoryAfterBurst { get; set; } = true;

    /// <summary>Messages a client stream may send ahead of the handler. Default 64.</summary>
    [Range(1, 1_000_000)]
    public int StreamWindow { get; set; } = FrameLayout.DefaultStreamWindow;

    /// <summary>
    /// Shortest time between two log lines for protocol errors of one kind from one client address (and likewise for
    /// rejected connections and rejected calls); the next line says how many were suppressed. Every error is still
    /// counted in <see cref="RpcServer.ProtocolErrors"/>. Default 10 s: a flood of garbage costs one line per address
    /// and kind every 10 s instead of one per connection, while a new problem still shows up within seconds.
    /// Zero logs every occurrence.
    /// </summary>
    public TimeSpan ProtocolErrorLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Send exception details (type, message, stack) to clients. Default false: never leak internals in production.</summary>
    public bool DetailedErrors { get; set; }

    /// <summary>
    /// Where unary and one-way handlers run: <see cref="DispatchMode.Adaptive"/> (default) runs them on the
    /// connection's read loop while they are quick (within 200 µs; three slower ones within 256 make it
    /// queue them for 100 ms), and hands the read loop on to a new thread when a handler blocks it for a sweep interval (5 ms);
    /// <see cref="DispatchMode.Queued"/> always queues them to the server's handler drainers (one more thread hand-off
    /// per read: up to half the rate of small calls on 2 cores, but a connection's handlers always use every core);
    /// <see cref="DispatchMode.Inline"/> always runs them on the read loop. Streaming handlers are always queued.
    /// </summary>
    [EnumDataType(typeof(DispatchMode))]
    public DispatchMode HandlerDispatch { get; set; } = DispatchMode.Adaptive;

    /// <summary>
    /// How many connections at a time read on a thread of their own, blocking in the socket's receive, instead of the
    /// asynchronous socket model (epoll thread, then a thread-pool worker per readable socket). Default 16: a dedicated
    /// thread is woken by the kernel directly, which on the project's machine halved the CPU time of a small call and
    /// raised the rate of one busy connection by half or more (BENCHMARKS.md, "Fifth pass"), while 16 threads are a bounded cost
    /// (their stacks are reserved, not committed). Connections beyond it, TLS connections and every connection off Linux
    /// use the asynchronous model. A connection whose kernel send buffer fills (the client reads slower than it is
    /// sent to) goes over to the asynchronous model for good: a blocking send would stop its reads. Handlers that run
    /// on the read loop (<see cref="HandlerDispatch"/>) run on this thread. 0 turns it off.
    /// </summary>
    [Range(0, 100_000)]
    public int ReaderThreads { get; set; } = 16;

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
        if (WriteStallTimeout < TimeSpan.Zero) throw new InvalidOptionException(type, nameof(WriteStallTimeout), $"cannot be negative (was {WriteStallTimeout})");
        if (ProtocolErrorLogInterval < TimeSpan.Zero) throw new InvalidOptionException(type, nameof(ProtocolErrorLogInterval), $"cannot be negative (was {ProtocolErrorLogInterval})");
        if (MaxMessageSize < MaxFrameSize) throw new InvalidOptionException(type, nameof(MaxMessageSize), $"must be at least MaxFrameSize ({MaxMessageSize} < {MaxFrameSize})");
        if (Tls is not null && Tls.Certificate is null) throw new InvalidOptionException(type, "Tls.Certificate", "is required when TLS is enabled");
        if (Tls?.Certificate is { HasPrivateKey: false }) throw new InvalidOptionException(type, "Tls.Certificate", "has no private key");
        if (Tls is { RequestClientCertificate: true, ClientCertificateRequired: false, ClientCertificateValidation: null })
        {
            // Without a callback the handshake would refuse clients that send no certificate: the option would mean "required".
            throw new InvalidOptionException(type, "Tls.ClientCertificateValidation", "is required with RequestClientCertificate (it decides about clients without a certificate)");
        }
    }
}
