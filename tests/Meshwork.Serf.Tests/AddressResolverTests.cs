using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Meshwork.Gossip.Transport;

namespace Meshwork.Serf.Tests;

/// <summary>Joining by name through <see cref="SerfOptions.AddressResolver"/>, resolved again at every attempt.</summary>
public class AddressResolverTests
{
    /// <summary>Answers each lookup with the next endpoint of a script, recording every name asked.</summary>
    private sealed class ScriptedResolver(params IPEndPoint[] answers) : IAddressResolver
    {
        private int _next;

        public ConcurrentQueue<string> Asked { get; } = new();

        public ValueTask<IReadOnlyList<IPEndPoint>> ResolveAsync(string address, int defaultPort, CancellationToken cancellationToken)
        {
            Asked.Enqueue(address);
            var i = Interlocked.Increment(ref _next) - 1;
            return ValueTask.FromResult<IReadOnlyList<IPEndPoint>>([answers[Math.Min(i, answers.Length - 1)]]);
        }
    }

    [Fact]
    public async Task Join_by_name_resolves_the_name_again_at_every_attempt()
    {
        await using var seed = Cluster.StartNode(Cluster.UniqueName("seed"));
        // First answer: a port nobody listens on (the seed "moved"); second answer: where the seed is now.
        var stale = new IPEndPoint(IPAddress.Loopback, FreePort.TcpAndUdp());
        var resolver = new ScriptedResolver(stale, seed.LocalEndPoint);
        await using var joiner = Cluster.StartNode(Cluster.UniqueName("joiner"), configure: o => o.AddressResolver = resolver);

        var first = await Assert.ThrowsAsync<AggregateException>(() => joiner.JoinAsync(["seed.cluster.test"]));
        Assert.IsType<SocketException>(Assert.Single(first.InnerExceptions));
        Assert.Equal(1, await joiner.JoinAsync(["seed.cluster.test"]));

        Assert.Equal(["seed.cluster.test", "seed.cluster.test"], resolver.Asked);
        await Eventually.TrueAsync(() => seed.Member(joiner.Name)?.Status == MemberStatus.Alive, "the seed sees the joiner");
    }

    [Fact]
    public async Task Join_by_host_name_uses_the_system_resolver_by_default()
    {
        await using var seed = Cluster.StartNode(Cluster.UniqueName("seed"));
        await using var joiner = Cluster.StartNode(Cluster.UniqueName("joiner"));
        Assert.IsType<DnsAddressResolver>(joiner.Options.AddressResolver);

        // "localhost" may also resolve to ::1, where nothing listens: one answering endpoint is enough.
        Assert.True(await joiner.JoinAsync([$"localhost:{seed.LocalEndPoint.Port}"]) >= 1);
        await Eventually.TrueAsync(() => seed.Member(joiner.Name)?.Status == MemberStatus.Alive, "the seed sees the joiner");
    }

    [Fact]
    public async Task An_unresolvable_or_malformed_address_fails_with_a_message_naming_it()
    {
        await using var node = Cluster.StartNode(Cluster.UniqueName("lonely"), configure: o => o.AddressResolver = new FailingResolver());
        var error = await Assert.ThrowsAsync<AggregateException>(() => node.JoinAsync(["ghost.cluster.test"]));
        Assert.Contains("Failed to resolve ghost.cluster.test", Assert.Single(error.InnerExceptions).Message, StringComparison.Ordinal);

        Assert.Throws<FormatException>(() => DnsAddressResolver.Split("seed:99999", 7946));
        Assert.Throws<FormatException>(() => DnsAddressResolver.Split(" ", 7946));
        Assert.Equal(("seed", 7946, null), DnsAddressResolver.Split("seed", 7946));
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 8000), DnsAddressResolver.Split("[::1]:8000", 7946).Literal);
    }

    private sealed class FailingResolver : IAddressResolver
    {
        public ValueTask<IReadOnlyList<IPEndPoint>> ResolveAsync(string address, int defaultPort, CancellationToken cancellationToken) =>
            throw new SocketException((int)SocketError.HostNotFound);
    }
}
