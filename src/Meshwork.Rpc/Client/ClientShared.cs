using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Rpc.Client;

/// <summary>Immutable per-channel state shared by its connections, resolved once from the options.</summary>
internal sealed class ClientShared
{
    public ClientShared(RpcClientOptions options)
    {
        Options = options;
        Serializers = options.Serializers;
        Compression = options.Compression;
        Logger = (ILogger?)options.LoggerFactory?.CreateLogger("Meshwork.Rpc.Client") ?? NullLogger.Instance;
        Limits = new ConnectionLimits(options.MaxFrameSize, options.MaxMessageSize, options.MaxQueuedWriteBytes);
        KeepAliveMicros = (long)options.KeepAliveInterval.TotalMicroseconds;
        KeepAliveTimeoutMicros = (long)options.KeepAliveTimeout.TotalMicroseconds;
        IdleMicros = (long)options.IdleTimeout.TotalMicroseconds;
        ProtocolMonitor = new ProtocolErrorMonitor(Logger, ProtocolErrorMonitor.DefaultInterval, new ProtocolErrorCounters());
        WriteStallMicros = (long)options.WriteStallTimeout.TotalMicroseconds;
        ReaderThreads = new ReaderThreadBudget(options.ReaderThreads);
    }

    /// <summary>Reader threads of this channel's connections (<see cref="RpcClientOptions.ReaderThreads"/>).</summary>
    public ReaderThreadBudget ReaderThreads { get; }

    /// <summary>Memory queued by this channel's connections; no shared cap (each connection is capped by MaxQueuedWriteBytes).</summary>
    public BufferBudget Buffers { get; } = new(long.MaxValue);

    public long WriteStallMicros { get; }

    /// <summary>Where the unary calls of this channel's connections are completed (their callers' continuations run), see <see cref="RunQueue"/>.</summary>
    public RunQueue Completions { get; } = new();

    /// <summary>Counts and rate-limits the protocol errors of the servers this channel talks to.</summary>
    public ProtocolErrorMonitor ProtocolMonitor { get; }

    public RpcClientOptions Options { get; }
    public SerializerRegistry Serializers { get; }
    public CompressionOptions Compression { get; }
    public ILogger Logger { get; }
    public ConnectionLimits Limits { get; }
    public Utf8StringCache Names { get; } = new(256);
    public long KeepAliveMicros { get; }
    public long KeepAliveTimeoutMicros { get; }
    public long IdleMicros { get; }

    public byte CompressionId(string? name)
    {
        if (name is null) return CompressionIds.None;
        return (Compression.FindByName(name) ?? throw new RpcException(StatusCode.InvalidArgument, $"unknown compression '{name}' (known: gzip, br)")).Id;
    }
}
