using System.Net;
using Meshwork.Gossip;
using Meshwork.Serf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.Gossip;

/// <summary>
/// Registry type <c>gossip</c>: starts a Serf node of its own and joins the cluster through <c>Join</c>. Keys:
/// <c>NodeName</c> (default: machine name plus a random suffix, so two processes on one host never collide),
/// <c>Bind</c> (default <c>0.0.0.0:7946</c>, Serf's port), <c>Advertise</c>, <c>Join</c> (seed addresses; none:
/// this is the first node), <c>Profile</c> (<c>lan</c> default, <c>wan</c>, <c>local</c>), <c>TagName</c>,
/// <c>MaxTagBytes</c>, <c>FetchTimeout</c>, <c>DirectoryAddress</c>. The registry owns the node: disposing it
/// leaves the cluster and stops the node.
/// </summary>
public sealed class GossipServiceRegistryProvider : IServiceRegistryProvider
{
    /// <inheritdoc />
    public string Type => "gossip";

    /// <inheritdoc />
    public IServiceRegistry Create(IConfigurationSection section, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(section);
        string name = ConfigurationValues.Get(section, "NodeName")?.Value ?? $"{Environment.MachineName}-{Guid.NewGuid().ToString("n")[..6]}";
        var profile = ConfigurationValues.Get(section, "Profile");
        var memberlist = (profile?.Value.ToLowerInvariant() ?? "lan") switch
        {
            "lan" => MemberlistOptions.Lan(name),
            "wan" => MemberlistOptions.Wan(name),
            "local" => MemberlistOptions.Local(name),
            _ => throw new DiscoveryConfigurationException(profile!.Value.Key, $"unknown gossip profile '{profile.Value.Value}'; known: lan, wan, local"),
        };
        if (ConfigurationValues.Get(section, "Bind") is { } bind)
        {
            var endPoint = ConfigurationValues.EndPoint(bind, 7946);
            memberlist.BindAddress = endPoint.Address;
            memberlist.BindPort = endPoint.Port;
        }
        if (ConfigurationValues.Get(section, "Advertise") is { } advertise)
        {
            var endPoint = ConfigurationValues.EndPoint(advertise, 0);
            memberlist.AdvertiseAddress = endPoint.Address;
            memberlist.AdvertisePort = endPoint.Port;
        }
        var seeds = ConfigurationValues.List(section, "Join").Select(j => ConfigurationValues.EndPoint(j, 7946)).ToArray();
        var options = new GossipDiscoveryOptions();
        if (ConfigurationValues.Get(section, "TagName") is { } tag) options.TagName = tag.Value;
        if (ConfigurationValues.Get(section, "MaxTagBytes") is { } max) options.MaxTagBytes = ConfigurationValues.Int(max, 32, 512);
        if (ConfigurationValues.Get(section, "FetchTimeout") is { } fetch) options.FetchTimeout = ConfigurationValues.Duration(fetch);
        if (ConfigurationValues.Get(section, "DirectoryAddress") is { } directory) options.DirectoryAddress = directory.Value;

        var node = new SerfNode(new SerfOptions { Memberlist = memberlist }, loggerFactory: loggerFactory);
        try
        {
            node.Start();
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or InvalidOperationException)
        {
            _ = node.DisposeAsync().AsTask();
            throw new DiscoveryConfigurationException(section.Path + ":Bind", $"the gossip node cannot bind {memberlist.BindAddress}:{memberlist.BindPort}: {e.Message}", e);
        }
        var joinKey = section.Path + ":Join";
        Task joined = seeds.Length == 0 ? Task.CompletedTask : JoinAsync(node, seeds, joinKey);
        return new GossipServiceRegistry(node, options, loggerFactory, ownsNode: true, joined);
    }

    private static async Task JoinAsync(SerfNode node, IPEndPoint[] seeds, string key)
    {
        int answered;
        try
        {
            answered = await node.JoinAsync(seeds).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new RegistryUnavailableException("gossip", $"no seed of '{key}' ({string.Join(", ", seeds.Select(s => s.ToString()))}) answered: {e.Message}", e);
        }
        if (answered == 0) throw new RegistryUnavailableException("gossip", $"no seed of '{key}' ({string.Join(", ", seeds.Select(s => s.ToString()))}) answered");
    }
}
