using Meshwork.Rpc.Server;
using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>Settings of a <see cref="TarsServer"/>. Every limit has a default that matches what TARS peers expect.</summary>
public sealed class TarsServerOptions
{
    /// <summary>
    /// Largest frame accepted or sent, length prefix included. Default 10 MiB, the Go and Java limit (C++ allows 100 MiB):
    /// a peer that declares more is cut off before anything is allocated for it.
    /// </summary>
    public int MaxPacketSize { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Bytes that may wait on one connection behind the write under way before callers wait for their own frame to be
    /// written (back-pressure: a client that reads slowly holds back calls, with their in-flight slots, instead of
    /// growing the buffer). Default 1 MiB: many replies' worth, small next to the memory of 1000 connections.
    /// </summary>
    public int MaxQueuedWriteBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// A connection whose write has not completed for this long (the client reads nothing) is closed. Default 30 s;
    /// <see cref="TimeSpan.Zero"/> turns the check off.
    /// </summary>
    public TimeSpan WriteStallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest datagram a <c>udp</c> endpoint takes or sends, length prefix included. A larger request datagram is dropped
    /// and counted as malformed; a reply that does not fit is answered <c>-2</c> (TARSSERVERENCODEERR) naming this
    /// setting, since UDP cannot carry it. Default 65507, the largest UDP payload over IPv4.
    /// </summary>
    public int MaxDatagramSize { get; set; } = TarsDatagram.MaxUdpPayload;

    /// <summary>TLS settings; required (with a certificate) to serve an <c>ssl</c> endpoint. Default null.</summary>
    public TarsServerTlsOptions? Tls { get; set; }

    /// <summary>
    /// Calls in flight on one connection; the next one is answered <c>-9</c> (TARSSERVEROVERLOAD) at once. Default 1000:
    /// the Node proxy multiplexes many calls on one connection, and a bound keeps one client from taking the server.
    /// </summary>
    public int MaxConcurrentCallsPerConnection { get; set; } = 1000;

    /// <summary>Calls in flight on the whole server; beyond it calls are answered <c>-9</c> at once. Default 10000.</summary>
    public int MaxConcurrentCalls { get; set; } = 10_000;

    /// <summary>Open connections; a connection beyond it is closed on accept. Default 10000.</summary>
    public int MaxConnections { get; set; } = 10_000;

    /// <summary>
    /// Nesting limit for decoding arguments (structs in structs, and containers while skipping). Default 64
    /// (<see cref="TarsReader.DefaultMaxDepth"/>): deeper than any real IDL, shallow enough to keep hostile input from
    /// exhausting the stack.
    /// </summary>
    public int MaxDepth { get; set; } = TarsReader.DefaultMaxDepth;

    /// <summary>
    /// Honour the client's <c>iTimeout</c>: the handler's token fires when it passes and the call is answered <c>-6</c>
    /// (as the Go server does). Default true; a client that sends 0 sets no deadline.
    /// </summary>
    public bool HonorClientTimeout { get; set; } = true;

    /// <summary>How long <see cref="TarsServer.StopAsync"/> lets calls in flight finish before cancelling them. Default 10 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Meshwork server middleware run around every call except <c>tars_ping</c>, outermost first (the same middleware an RPC server takes).</summary>
    public IList<IServerMiddleware> Middleware { get; } = new List<IServerMiddleware>();

    /// <summary>Where logs go; null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Minimum interval between two log lines about malformed input from the same peer. Default 10 s.</summary>
    public TimeSpan MalformedLogInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (MaxPacketSize < 64) throw new ArgumentException($"TarsServerOptions.MaxPacketSize must be at least 64 bytes (was {MaxPacketSize})");
        if (MaxQueuedWriteBytes < 1) throw new ArgumentException($"TarsServerOptions.MaxQueuedWriteBytes must be at least 1 (was {MaxQueuedWriteBytes})");
        if (WriteStallTimeout < TimeSpan.Zero) throw new ArgumentException($"TarsServerOptions.WriteStallTimeout must not be negative (was {WriteStallTimeout})");
        if (MaxDatagramSize < 64 || MaxDatagramSize > TarsDatagram.MaxUdpPayload)
            throw new ArgumentException($"TarsServerOptions.MaxDatagramSize must be 64..{TarsDatagram.MaxUdpPayload} bytes (was {MaxDatagramSize})");
        Tls?.Validate();
        if (MaxConcurrentCallsPerConnection < 1) throw new ArgumentException($"TarsServerOptions.MaxConcurrentCallsPerConnection must be at least 1 (was {MaxConcurrentCallsPerConnection})");
        if (MaxConcurrentCalls < 1) throw new ArgumentException($"TarsServerOptions.MaxConcurrentCalls must be at least 1 (was {MaxConcurrentCalls})");
        if (MaxConnections < 1) throw new ArgumentException($"TarsServerOptions.MaxConnections must be at least 1 (was {MaxConnections})");
        if (MaxDepth < 1) throw new ArgumentException($"TarsServerOptions.MaxDepth must be at least 1 (was {MaxDepth})");
        if (DrainTimeout < TimeSpan.Zero) throw new ArgumentException($"TarsServerOptions.DrainTimeout must not be negative (was {DrainTimeout})");
        if (MalformedLogInterval < TimeSpan.Zero) throw new ArgumentException($"TarsServerOptions.MalformedLogInterval must not be negative (was {MalformedLogInterval})");
    }
}
