using Meshwork.Rpc.Client;
using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>Settings of a <see cref="TarsChannel"/>. Defaults follow the TARS clients (3 s call timeout, 10 MiB packets).</summary>
public sealed class TarsClientOptions
{
    /// <summary>
    /// Wire version of requests: 1 (TARS, positional), 3 (TUP by name), 2 (TUP with type names) or 5 (JSON by name, no
    /// structs). Default 1: every TARS server speaks it; C++ and Go servers do not speak 2, Node servers not 5.
    /// </summary>
    public short Version { get; set; } = TarsVersion.Tars;

    /// <summary>
    /// Call timeout when the call sets none; also sent as <c>iTimeout</c> so the server can give up too. Default 3 s, the
    /// C++ synchronous and Node proxy default.
    /// </summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long opening a connection may take. Default 3 s (a dead host fails the call fast, unlike Node).</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Largest frame sent or accepted, prefix included. Default 10 MiB (Go and Java); a bigger reply closes the connection.</summary>
    public int MaxPacketSize { get; set; } = 10 * 1024 * 1024;

    /// <summary>
    /// Bytes that may wait on one connection behind the write under way before callers wait for their own frame to be
    /// written (back-pressure: a server that reads slowly holds back calls, with their in-flight slots, instead of
    /// growing the buffer). Default 1 MiB: many replies' worth, small next to the memory of 1000 connections.
    /// </summary>
    public int MaxQueuedWriteBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// A connection whose write has not completed for this long (the server reads nothing) is closed. Default 30 s;
    /// <see cref="TimeSpan.Zero"/> turns the check off.
    /// </summary>
    public TimeSpan WriteStallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest request sent to a <c>udp</c> endpoint, length prefix included: a request must fit one datagram, and a
    /// larger one fails before anything is sent (ResourceExhausted, naming this setting). Default 65507, the largest UDP
    /// payload over IPv4; lower it to stay under the path MTU where fragments get dropped.
    /// </summary>
    public int MaxUdpDatagramSize { get; set; } = TarsDatagram.MaxUdpPayload;

    /// <summary>TLS settings for <c>ssl</c> endpoints. Default null: the defaults of <see cref="TarsClientTlsOptions"/> (system certificate validation, no client certificate).</summary>
    public TarsClientTlsOptions? Tls { get; set; }

    /// <summary>
    /// Calls in flight on one connection; beyond it a call fails at once with ResourceExhausted instead of queueing
    /// without bound. Default 10000.
    /// </summary>
    public int MaxInFlightPerConnection { get; set; } = 10_000;

    /// <summary>First wait before reconnecting to an endpoint whose connection failed; doubles up to <see cref="ReconnectBackoffMax"/>, with jitter. Default 100 ms.</summary>
    public TimeSpan ReconnectBackoffInitial { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Longest wait between reconnect attempts. Default 5 s.</summary>
    public TimeSpan ReconnectBackoffMax { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The TARS registry to resolve object names through when a proxy string has no <c>@endpoints</c>, e.g.
    /// <c>tars.tarsregistry.QueryObj@tcp -h 10.0.0.1 -p 17890</c>. Default null (proxy strings must carry endpoints).
    /// </summary>
    public string? Locator { get; set; }

    /// <summary>How often endpoints resolved through the <see cref="Locator"/> are refreshed. Default 60 s, as TARS clients refresh.</summary>
    public TimeSpan LocatorRefreshInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Nesting limit when decoding replies. Default 64 (<see cref="TarsReader.DefaultMaxDepth"/>).</summary>
    public int MaxDepth { get; set; } = TarsReader.DefaultMaxDepth;

    /// <summary>Meshwork client middleware run around every call, outermost first; its headers travel in the TARS <c>context</c> map.</summary>
    public IList<IClientMiddleware> Middleware { get; } = new List<IClientMiddleware>();

    /// <summary>Where logs go; null for none.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Version is not (TarsVersion.Tars or TarsVersion.TupComplex or TarsVersion.Tup or TarsVersion.Json))
            throw new ArgumentException($"TarsClientOptions.Version must be 1, 2, 3 or 5 (was {Version})");
        if (DefaultTimeout <= TimeSpan.Zero) throw new ArgumentException($"TarsClientOptions.DefaultTimeout must be positive (was {DefaultTimeout})");
        if (ConnectTimeout <= TimeSpan.Zero) throw new ArgumentException($"TarsClientOptions.ConnectTimeout must be positive (was {ConnectTimeout})");
        if (MaxPacketSize < 64) throw new ArgumentException($"TarsClientOptions.MaxPacketSize must be at least 64 bytes (was {MaxPacketSize})");
        if (MaxQueuedWriteBytes < 1) throw new ArgumentException($"TarsClientOptions.MaxQueuedWriteBytes must be at least 1 (was {MaxQueuedWriteBytes})");
        if (WriteStallTimeout < TimeSpan.Zero) throw new ArgumentException($"TarsClientOptions.WriteStallTimeout must not be negative (was {WriteStallTimeout})");
        if (MaxUdpDatagramSize < 64 || MaxUdpDatagramSize > TarsDatagram.MaxUdpPayload)
            throw new ArgumentException($"TarsClientOptions.MaxUdpDatagramSize must be 64..{TarsDatagram.MaxUdpPayload} bytes (was {MaxUdpDatagramSize})");
        if (MaxInFlightPerConnection < 1) throw new ArgumentException($"TarsClientOptions.MaxInFlightPerConnection must be at least 1 (was {MaxInFlightPerConnection})");
        if (ReconnectBackoffInitial <= TimeSpan.Zero || ReconnectBackoffMax < ReconnectBackoffInitial)
            throw new ArgumentException($"TarsClientOptions.ReconnectBackoffInitial must be positive and not above ReconnectBackoffMax (were {ReconnectBackoffInitial} and {ReconnectBackoffMax})");
        if (LocatorRefreshInterval <= TimeSpan.Zero) throw new ArgumentException($"TarsClientOptions.LocatorRefreshInterval must be positive (was {LocatorRefreshInterval})");
        if (MaxDepth < 1) throw new ArgumentException($"TarsClientOptions.MaxDepth must be at least 1 (was {MaxDepth})");
        if (Locator is not null) TarsProxyString.Parse(Locator);
    }
}
