using Meshwork.Rpc.Client;

namespace Meshwork.Discovery.Gossip;

/// <summary>Settings of <see cref="GossipServiceRegistry"/>. Defaults suit a LAN cluster of up to a few thousand nodes.</summary>
public sealed class GossipDiscoveryOptions
{
    /// <summary>Serf tag that carries the compact service announcement. Default <c>mw-svc</c>; every node of a cluster must use the same.</summary>
    public string TagName { get; set; } = "mw-svc";

    /// <summary>
    /// RPC address where this node serves its directory (the <see cref="DirectoryService"/>). Default null: the address of
    /// the first registered instance, which is right when one RPC server hosts the node's services.
    /// </summary>
    public string? DirectoryAddress { get; set; }

    /// <summary>
    /// Largest announcement tag in bytes. Serf allows 512 bytes for all tags of a node together, so the default of
    /// 256 leaves half for the application's own tags. When the service names do not fit, the tag says "*" and
    /// clients fetch the directory to learn them.
    /// </summary>
    public int MaxTagBytes { get; set; } = 256;

    /// <summary>
    /// Watches react to member events (joins, failures, leaves, tag updates) as they happen; besides that they re-read
    /// the member list every <c>ResyncInterval</c>, as a safety net should a change ever be missed. Default 30 s:
    /// reading is an in-memory copy, so it costs nothing worth measuring, and a miss heals within half a minute.
    /// </summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How soon a watch retries a node whose directory fetch failed (the node's last known records stay in use
    /// meanwhile). Default 1 s: quick enough to pick up a node that was still starting, slow enough not to hammer a
    /// sick one.
    /// </summary>
    public TimeSpan FetchRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time budget of one directory fetch. Default 2 s: on a LAN it takes a millisecond; a node that needs longer keeps its last known records and is asked again after FetchRetryInterval.</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Client settings for directory fetches (TLS, limits). Default: plaintext with the RPC defaults.</summary>
    public RpcClientOptions? DirectoryClient { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TagName)) throw new ArgumentException("GossipDiscoveryOptions.TagName must not be empty");
        if (MaxTagBytes is < 32 or > 512) throw new ArgumentException($"GossipDiscoveryOptions.MaxTagBytes must be between 32 and 512 (Serf's limit for all tags), not {MaxTagBytes}");
        if (ResyncInterval <= TimeSpan.Zero) throw new ArgumentException("GossipDiscoveryOptions.ResyncInterval must be positive");
        if (FetchRetryInterval <= TimeSpan.Zero) throw new ArgumentException("GossipDiscoveryOptions.FetchRetryInterval must be positive");
        if (FetchTimeout <= TimeSpan.Zero) throw new ArgumentException("GossipDiscoveryOptions.FetchTimeout must be positive");
    }
}
