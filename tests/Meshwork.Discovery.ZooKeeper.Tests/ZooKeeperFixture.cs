using Meshwork.Discovery.ZooKeeper.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Discovery.ZooKeeper.Tests;

/// <summary>One real ZooKeeper shared by the tests of a class that do not stop it (each uses its own service names).</summary>
public sealed class ZooKeeperFixture : IAsyncLifetime
{
    internal ZooKeeperServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await ZooKeeperServer.StartAsync();

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>Options and raw clients for the tests.</summary>
internal static class Zk
{
    public static ZooKeeperDiscoveryOptions Options(string connectString, TimeSpan? session = null, TimeSpan? request = null) => new()
    {
        ConnectString = connectString,
        SessionTimeout = session ?? TimeSpan.FromSeconds(10),
        RequestTimeout = request ?? TimeSpan.FromSeconds(10),
        ReconnectMax = TimeSpan.FromMilliseconds(500),
    };

    /// <summary>A bare client (its own session) to look at or change nodes behind the registry's back.</summary>
    public static ZooKeeperClient RawClient(string connectString, long sessionId = 0, byte[]? password = null) =>
        new(Options(connectString), NullLogger.Instance, sessionId, password);

    public static string NodePath(string service, string id) => "/meshwork/services/" + Uri.EscapeDataString(service) + "/" + Uri.EscapeDataString(id);
}
