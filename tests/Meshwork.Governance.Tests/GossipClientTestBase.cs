using Meshwork.Discovery.Gossip;
using Meshwork.Serf;

namespace Meshwork.Governance.Tests;

/// <summary>
/// A test class's gossip client: a Serf node of its own with a registry on it, started before each test, plus whatever
/// the test starts and hands over in <see cref="_owned"/>; all of it stopped after the test, in reverse order.
/// </summary>
public abstract class GossipClientTestBase : IAsyncLifetime
{
    protected readonly List<IAsyncDisposable> _owned = [];
    protected SerfNode _client = null!;
    protected GossipServiceRegistry _registry = null!;

    /// <inheritdoc/>
    public ValueTask InitializeAsync()
    {
        _client = GossipMember.StartNode("client-" + Guid.NewGuid().ToString("n")[..6]);
        _registry = new GossipServiceRegistry(_client);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        await _registry.DisposeAsync();
        await _client.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
