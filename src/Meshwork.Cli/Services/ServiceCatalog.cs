using Meshwork.Cli.Registry;
using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Serf;

namespace Meshwork.Cli.Services;

/// <summary>
/// The service names a registry holds, for <c>meshwork services</c> without names. The registry interface only
/// resolves names it is given, so the names come from what each provider exposes: a static registry's configuration,
/// and gossip members' announcement tags (or their directories, when a tag says only <c>*</c>).
/// </summary>
internal static class ServiceCatalog
{
    /// <summary>How long one node's directory may take to answer.</summary>
    private static readonly TimeSpan DirectoryTimeout = TimeSpan.FromSeconds(5);

    /// <exception cref="UsageException">The registry type cannot list its services.</exception>
    public static async Task<IReadOnlyList<string>> NamesAsync(RegistryClient client, CancellationToken ct)
    {
        switch (client.Registry)
        {
            case StaticServiceRegistry:
                return client.Document.GetSection("Registry:Services").GetChildren().Select(s => s.Key).Order(StringComparer.Ordinal).ToList();
            case GossipServiceRegistry gossip:
                return await GossipNamesAsync(gossip, client.Document["Registry:TagName"] ?? new GossipDiscoveryOptions().TagName, ct);
            default:
                throw new UsageException($"the {client.Registry.Name} registry cannot list its services; name them: meshwork services <service>...");
        }
    }

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
