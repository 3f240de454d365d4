using System.Net;
using Meshwork.Gossip;
using Meshwork.Gossip.Security;

namespace Meshwork.Serf.Tests;

internal static class Cluster
{
    /// <summary>A started Meshwork serf node on 127.0.0.1 with a free port and the LAN profile.</summary>
    public static SerfNode StartNode(string name, Dictionary<string, string>? tags = null, Keyring? keyring = null, Action<SerfOptions>? configure = null)
    {
        var options = new SerfOptions
        {
            Memberlist = new MemberlistOptions { Name = name, BindAddress = IPAddress.Loopback, BindPort = 0, Keyring = keyring },
            Tags = tags ?? new Dictionary<string, string>(),
            LeavePropagateDelay = TimeSpan.FromMilliseconds(500),
        };
        configure?.Invoke(options);
        var node = new SerfNode(options);
        node.Start();
        return node;
    }

    public static string UniqueName(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("n")[..6]}";
}
