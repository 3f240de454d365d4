using System.Net;
using System.Net.Sockets;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Wire;
using Meshwork.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace Meshwork.Gossip.Tests;

/// <summary>Malformed input is counted per kind and logged rate-limited, without stack traces.</summary>
public class MalformedInputTests
{
    [Fact]
    public void Limiter_allows_one_line_per_key_per_interval_and_reports_what_it_suppressed()
    {
        var time = new ManualTimeProvider();
        var limiter = new KeyedLogRateLimiter<string>(TimeSpan.FromSeconds(10), maxKeys: 16, time);

        Assert.True(limiter.TryAcquire("a", out var suppressed, out _));
        Assert.Equal(0, suppressed);
        for (var i = 0; i < 5; i++) { Assert.False(limiter.TryAcquire("a", out _, out _)); }
        Assert.True(limiter.TryAcquire("b", out suppressed, out _));
        Assert.Equal(0, suppressed);

        time.Advance(TimeSpan.FromSeconds(9.9));
        Assert.False(limiter.TryAcquire("a", out _, out _));
        time.Advance(TimeSpan.FromSeconds(0.1));
        Assert.True(limiter.TryAcquire("a", out suppressed, out var overflow));
        Assert.Equal(6, suppressed);
        Assert.False(overflow);
        Assert.False(limiter.TryAcquire("a", out _, out _));
    }

    [Fact]
    public void Limiter_memory_is_bounded_and_new_keys_share_one_overflow_line_when_full()
    {
        var time = new ManualTimeProvider();
        var limiter = new KeyedLogRateLimiter<int>(TimeSpan.FromSeconds(10), maxKeys: 4, time);
        for (var k = 0; k < 4; k++) { Assert.True(limiter.TryAcquire(k, out _, out _)); }

        Assert.True(limiter.TryAcquire(100, out _, out var overflow));
        Assert.True(overflow);
        for (var k = 101; k < 200; k++) { Assert.False(limiter.TryAcquire(k, out _, out _)); }
        Assert.Equal(4, limiter.TrackedKeys);

        // Once the interval passed, idle keys are pruned and new keys get their own line again.
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.True(limiter.TryAcquire(500, out _, out overflow));
        Assert.False(overflow);
        Assert.True(limiter.TrackedKeys <= 4);
    }

    [Fact]
    public void Limiter_rejects_nonsense_settings()
    {
        // Gossip always limits: a zero interval, or one beyond a day, is refused where gossip takes it.
        Assert.Throws<ArgumentOutOfRangeException>(() => new MalformedInputReporter(NullLogger.Instance, TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => new MalformedInputReporter(NullLogger.Instance, TimeSpan.FromDays(2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyedLogRateLimiter<int>(TimeSpan.FromSeconds(1), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KeyedLogRateLimiter<int>(TimeSpan.FromSeconds(-1), 1));
        Assert.Throws<ArgumentException>(() => new GossipNode(new MemberlistOptions { Name = "x", BindAddress = IPAddress.Loopback, BindPort = 0, MalformedInputLogInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentException>(() => new GossipNode(new MemberlistOptions { Name = "x", BindAddress = IPAddress.Loopback, BindPort = 0, Vsn = [1, 5, 2] }));
        Assert.Throws<ArgumentException>(() => new GossipNode(new MemberlistOptions { Name = "", BindAddress = IPAddress.Loopback, BindPort = 0 }));
    }

    [Fact]
    public async Task A_flood_of_garbage_datagrams_gives_exact_counts_and_one_line_per_source_and_kind()
    {
        using var logs = new CapturingLoggerProvider();
        var options = new MemberlistOptions
        {
            Name = "flooded", BindAddress = IPAddress.Loopback, BindPort = 0,
            MalformedInputLogInterval = TimeSpan.FromHours(1),
        };
        await using var node = new GossipNode(options, loggerFactory: logs);
        node.Start();

        var garbage = new Dictionary<string, byte[]>
        {
            [MalformedInputKinds.UnknownType] = [0xee, 1, 2, 3],
            [MalformedInputKinds.EmptyMessage] = [12, 0, 0, 0, 0],
            [MalformedInputKinds.Compound] = [7, 0x80, 8, 1],
            [MalformedInputKinds.Vsn] = PacketCodec.Encode(new AliveMessage(1, "poison", [127, 0, 0, 1], 7000, [0xff, 0x80], [1, 5, 2])),
            [MalformedInputKinds.Undecodable] = [4, 0xc1],
        };
        using var sourceA = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        using var sourceB = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        sourceA.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        sourceB.Bind(new IPEndPoint(IPAddress.Parse("127.0.0.2"), 0));
        const int rounds = 200;
        var sent = 0;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var datagram in garbage.Values)
            {
                sourceA.SendTo(datagram, node.LocalEndPoint);
                sourceB.SendTo(datagram, node.LocalEndPoint);
                sent += 2;
            }
            // Paced by the node itself so the bounded receive queue never has to drop: the counts must then be exact.
            var expected = sent;
            await Eventually.TrueAsync(() => node.MalformedInput.Counters.Total >= expected, $"{expected} malformed datagrams counted");
        }

        var counts = node.MalformedInput.Counters.Snapshot();
        foreach (var kind in garbage.Keys) { Assert.Equal(2 * rounds, counts.GetValueOrDefault(kind)); }
        Assert.Equal(2L * rounds * garbage.Count, node.MalformedInput.Counters.Total);

        var lines = logs.Entries.Where(e => e.Id.Id == 1015).ToList();
        Assert.Equal(2 * garbage.Count, lines.Count);
        Assert.All(lines, l => Assert.Null(l.Exception));
        Assert.All(logs.Entries, l => Assert.Null(l.Exception));
        Assert.Contains(lines, l => l.Message.Contains("127.0.0.2", StringComparison.Ordinal));
        Assert.DoesNotContain(node.Members, m => m.Name == "poison");
    }
}
