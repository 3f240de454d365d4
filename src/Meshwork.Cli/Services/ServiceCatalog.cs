using Meshwork.Cli.Registry;
using Meshwork.Discovery;
using Meshwork.Discovery.Dns;
using Meshwork.Discovery.Etcd;
using Meshwork.Discovery.Gossip;
using Meshwork.Discovery.ZooKeeper;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Serf;

namespace Meshwork.Cli.Services;

/// <summary>
/// The service names a registry holds, for <c>meshwork services</c> without names. The registry interface only
/// resolves names it is given, so the names come from what each provider exposes: a static registry's configuration,
/// gossip members' announcement tags (or their directories, when a tag says only <c>*</c>), the keys under etcd's
/// prefix and the children of ZooKeeper's root node. DNS has no way to list names (see <see cref="DnsCannotList"/>).
/// </summary>
internal static class ServiceCatalog
{
    /// <summary>How long one node's directory may take to answer.</summary>
    private static readonly TimeSpan DirectoryTimeout = TimeSpan.FromSeconds(5);

    /// <exception cref="UsageException">The registry type cannot list its services.</exception>
    public static async Task<IReadOnlyList<string>> NamesAsync(RegistryClient client, CancellationToken ct)
    {
        // With Registry:Cache the provider's registry sits inside the cache wrapper; the names come from the provider.
        var registry = client.Registry is CachedServiceRegistry cached ? cached.Inner : client.Registry;
        switch (registry)
        {
            case StaticServiceRegistry:
                return client.Document.GetSection("Registry:Services").GetChildren().Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
            case GossipServiceRegistry gossip:
                return await GossipNamesAsync(gossip, client.Document["Registry:TagName"] ?? new GossipDiscoveryOptions().TagName, ct);
            case EtcdServiceRegistry etcd:
                return await etcd.ListServicesAsync(ct);
            case ZooKeeperServiceRegistry zooKeeper:
                return await zooKeeper.ListServicesAsync(ct);
            case DnsServiceRegistry:
                throw new UsageException(DnsCannotList);
            default:
                throw new UsageException($"the {registry.Name} registry cannot list its services; name them: meshwork services <service>...");
        }
    }

    /// <summary>
    /// Why DNS cannot list: a DNS query asks for one name, and the protocol has no query for "every name under a
    /// domain"; only a zone transfer (AXFR) returns a whole zone, and servers refuse it to clients (dnsmasq, CoreDNS
    /// and cloud resolvers do by default), so a listing would work nowhere it matters.
    /// </summary>
    public const string DnsCannotList =
        "the dns registry cannot list its services: a DNS query asks for one name (an SRV or A/AAAA record) and the protocol has no query " +
        "for every name in a domain (a zone transfer, AXFR, would be needed, and servers normally refuse it to clients); name the services: meshwork services <service>...";

    private static async Task<IReadOnlyList<string>> GossipNamesAsync(GossipServiceRegistry registry, string tagName, CancellationToken ct)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var directories = new List<string>();
        foreach (var member in registry.Node.Members())
        {
            if (member.Status is not (MemberStatus.Alive or MemberStatus.Leaving) || !member.Tags.TryGetValue(tagName, out var tag)) continue;
            // The announcement: "1;<directory address>;<fingerprint>;<names or *>" (docs/governance.md).
            var parts = tag.Split(';');
            if (parts.Length != 4 || parts[0] != "1") continue;
            if (parts[3] == "*") directories.Add(parts[1]);
            else names.UnionWith(parts[3].Split(',', StringSplitOptions.RemoveEmptyEntries));
        }
        foreach (var address in directories.Distinct(StringComparer.Ordinal))
        {
            await using var channel = RpcChannel.ForAddress(address);
            try
            {
                var json = await channel.UnaryAsync(DirectoryService.List, "", new CallOptions { CancellationToken = ct, Timeout = DirectoryTimeout });
                names.UnionWith(ServiceInstanceJson.Decode(json).Select(i => i.Service));
            }
            catch (RpcException e)
            {
                Console.Error.WriteLine($"warning: the directory at {address} did not answer ({e.Status}: {e.Message}); its services are not listed");
            }
        }
        return names.ToList();
    }
}
