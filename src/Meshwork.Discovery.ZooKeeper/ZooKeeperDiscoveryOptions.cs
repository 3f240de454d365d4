using Meshwork.Discovery.ZooKeeper.Client;

namespace Meshwork.Discovery.ZooKeeper;

/// <summary>Settings of <see cref="ZooKeeperServiceRegistry"/> and its ZooKeeper connection.</summary>
public sealed class ZooKeeperDiscoveryOptions
{
    /// <summary>
    /// Servers of the ensemble, <c>host:port[,host:port...]</c> (port 2181 when omitted, IPv6 in brackets). Required.
    /// The client starts at a random server and moves to the next on failure, so clients spread over the ensemble.
    /// </summary>
    public string ConnectString { get; set; } = "";

    /// <summary>
    /// Parent node of all services; an instance lives at <c>Root/service/instanceId</c>. Default
    /// <c>/meshwork/services</c>: one well-known place, out of the way of other users of the ensemble.
    /// </summary>
    public string Root { get; set; } = "/meshwork/services";

    /// <summary>
    /// Session timeout asked of the server (which clamps it to its own 2..20 ticks, 4..40 s by default). Default 10 s:
    /// a crashed server's instances vanish within about 10 s, while a connection can stall for a few seconds (a GC
    /// pause, a server restart) without losing the session and its instances.
    /// </summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Budget of one request, including waiting for a connection when there is none. Default 5 s: ZooKeeper answers
    /// in milliseconds, so 5 s means the ensemble is unreachable, and callers (and the cache) should learn that soon.
    /// A request that gets no reply in time also drops the connection (replies come in order, so the ones behind it
    /// are stuck too); the client then reconnects.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Budget of one TCP connect plus handshake to one server. Default 2 s: a reachable server answers in
    /// milliseconds, and a short budget leaves time within the session timeout to try the other servers.
    /// </summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Largest frame accepted from a server, in bytes; a longer length prefix drops the connection before anything is
    /// allocated. Default 4 MiB: above ZooKeeper's own 1 MiB node limit so that a children list of tens of thousands of
    /// instances still fits, and small enough that a corrupt length cannot exhaust memory.
    /// </summary>
    public int MaxPacketSize { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Requests allowed in flight on the connection; more fail at once with <see cref="ZooKeeperErrorCode.Throttled"/>.
    /// Default 1000: far above what registration and watches need, and it bounds the memory a stalled server can pin.
    /// </summary>
    public int MaxInFlightRequests { get; set; } = 1000;

    /// <summary>
    /// Delay before the first reconnect round after every server failed; doubles per failed round up to
    /// <see cref="ReconnectMax"/>, each wait being 80–100 % of it at random (so a restarted ensemble is not hit by every
    /// client at once). Default 100 ms: a single lost connection is
    /// usually repaired by the next server at once.
    /// </summary>
    public TimeSpan ReconnectInitial { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Ceiling of the reconnect delay. Default 2 s: several attempts fit in the session timeout, so a server that comes
    /// back within it finds the session (and its instances) still alive. Must not exceed <see cref="SessionTimeout"/>.
    /// </summary>
    public TimeSpan ReconnectMax { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Index of the server tried first; null (the default) picks one at random so clients spread out. For tests.</summary>
    internal int? FirstHost { get; set; }

    /// <summary>The parsed <see cref="ConnectString"/>.</summary>
    internal IReadOnlyList<ZooKeeperHost> Hosts => ConnectStringParser.Parse(ConnectString);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting and why.</summary>
    public void Validate()
    {
        if (FindProblem() is { } p) throw new ArgumentException($"ZooKeeperDiscoveryOptions.{p.Property}: {p.Problem}");
    }

    /// <summary>The first invalid setting (its property name) and why, or null when all are valid.</summary>
    internal (string Property, string Problem)? FindProblem()
    {
        try
        {
            ConnectStringParser.Parse(ConnectString);
        }
        catch (FormatException e)
        {
            return (nameof(ConnectString), e.Message);
        }
        if (ZNodePath.Problem(Root) is { } root) return (nameof(Root), $"'{Root}' {root}");
        if (SessionTimeout < TimeSpan.FromSeconds(1) || SessionTimeout.TotalMilliseconds > int.MaxValue)
        {
            return (nameof(SessionTimeout), "must be at least 1 s (the server clamps it to 2..20 ticks anyway)");
        }
        if (RequestTimeout <= TimeSpan.Zero) return (nameof(RequestTimeout), "must be positive");
        if (ConnectTimeout <= TimeSpan.Zero) return (nameof(ConnectTimeout), "must be positive");
        if (MaxPacketSize < 64 * 1024) return (nameof(MaxPacketSize), $"{MaxPacketSize} is below 65536 bytes (a busy service's children list must fit)");
        if (MaxInFlightRequests < 1) return (nameof(MaxInFlightRequests), "must be at least 1");
        if (ReconnectInitial <= TimeSpan.Zero) return (nameof(ReconnectInitial), "must be positive");
        if (ReconnectMax < ReconnectInitial) return (nameof(ReconnectMax), "must be at least ReconnectInitial");
        if (ReconnectMax > SessionTimeout)
        {
            return (nameof(ReconnectMax), "must not exceed SessionTimeout, or a returning server is found only after the session has expired");
        }
        return null;
    }
}
