using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Meshwork.Serf.Tests;

/// <summary>
/// A mixed cluster (two real serf 0.9.4 agents, two Meshwork nodes) shared by all cases: each case sends one poison
/// input (serf-wire.md §13 and the further invariants of docs/gossip.md "Input validation") to a Meshwork node, then
/// a harmless marker event along the same path. Once both agents have seen the marker (so the poison would have been
/// gossiped, relayed or answered before it), every agent must still run, see every member alive, accept a push/pull
/// join, and keep its Lamport clocks sane.
/// </summary>
[Trait("Category", "Interop")]
public sealed class PoisonInputInteropTests(PoisonInputInteropTests.MixedCluster cluster) : IClassFixture<PoisonInputInteropTests.MixedCluster>
{
    /// <summary>One poison: a datagram for the Meshwork node's UDP port, or a stream for its TCP port.</summary>
    public sealed record Poison(byte[]? Datagram = null, byte[]? Stream = null);

    private static readonly Dictionary<string, Func<PoisonContext, Poison>> Catalogue = new()
    {
        // §13: alive whose Vsn has 1-5 bytes (aliveNode indexes Vsn[0..5]).
        ["alive-vsn-1-byte"] = c => new(PoisonWire.Alive(c.Unique("vsn1"), PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], [1])),
        ["alive-vsn-2-bytes"] = c => new(PoisonWire.Alive(c.Unique("vsn2"), PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], [1, 5])),
        ["alive-vsn-3-bytes"] = c => new(PoisonWire.Alive(c.Unique("vsn3"), PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], [1, 5, 2])),
        ["alive-vsn-4-bytes"] = c => new(PoisonWire.Alive(c.Unique("vsn4"), PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], [1, 5, 2, 2])),
        ["alive-vsn-5-bytes"] = c => new(PoisonWire.Alive(c.Unique("vsn5"), PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], [1, 5, 2, 2, 5])),
        // Versions 0 / incompatible versions: Go stores them and then refuses every push/pull merge (and join).
        ["alive-vsn-missing"] = c => new(PoisonWire.Alive(c.Unique("vsn0"), PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], null)),
        ["alive-vsn-incompatible"] = c => new(PoisonWire.Alive(c.Unique("vsnx"), PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], [1, 1, 1, 2, 5, 5])),
        ["alive-meta-oversize"] = c => new(PoisonWire.Alive(c.Unique("meta"), PoisonWire.Loopback, c.DeadPort, [0xff, .. new byte[600]], PoisonWire.GoodVsn)),
        ["alive-address-5-bytes"] = c => new(PoisonWire.Alive(c.Unique("addr"), [127, 0, 0, 1, 9], c.DeadPort, [0xff, 0x80], PoisonWire.GoodVsn)),
        ["alive-port-0"] = c => new(PoisonWire.Alive(c.Unique("port"), PoisonWire.Loopback, 0, [0xff, 0x80], PoisonWire.GoodVsn)),
        ["alive-empty-name"] = c => new(PoisonWire.Alive("", PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], PoisonWire.GoodVsn)),
        // §13: empty messages and compound headers Go mis-parses.
        ["compound-with-empty-part"] = c => new(PoisonWire.Compound(2, [], PoisonWire.Alive(c.Unique("cmp"), PoisonWire.Loopback, c.DeadPort, [0xff, 0x80], [1, 5, 2]))),
        ["compound-128-parts-short-buffer"] = _ => new(PoisonWire.Compound(128, [8, 1])),
        ["crc-with-empty-message"] = _ => new([12, 0, 0, 0, 0]),
        ["compressed-empty-message"] = _ => new(PoisonWire.Start(9).Map(2).Str("Algo").UInt(0).Str("Buf").Raw([0x00, 0x03, 0x02]).ToArray()),
        // §13: query with an empty filter element; key queries with an empty payload (the handlers slice Payload[1:]).
        ["query-empty-filter-element"] = c => new(PoisonWire.User(PoisonWire.Query(c.QueryLTime, c.Id, "poison-q", [], [[]], PoisonWire.Loopback, c.DeadPort))),
        ["query-unknown-filter-type"] = c => new(PoisonWire.User(PoisonWire.Query(c.QueryLTime, c.Id, "poison-q", [], [[7, 0x90]], PoisonWire.Loopback, c.DeadPort))),
        ["query-install-key-empty-payload"] = c => new(PoisonWire.User(PoisonWire.Query(c.QueryLTime, c.Id, "_serf_install-key", [], null, PoisonWire.Loopback, c.DeadPort))),
        ["query-use-key-empty-payload"] = c => new(PoisonWire.User(PoisonWire.Query(c.QueryLTime, c.Id, "_serf_use-key", [], null, PoisonWire.Loopback, c.DeadPort))),
        ["query-remove-key-empty-payload"] = c => new(PoisonWire.User(PoisonWire.Query(c.QueryLTime, c.Id, "_serf_remove-key", [], null, PoisonWire.Loopback, c.DeadPort))),
        ["query-reply-address-3-bytes"] = c => new(PoisonWire.User(PoisonWire.Query(c.QueryLTime, c.Id, "poison-q", [], null, [127, 0, 1], c.DeadPort))),
        // Relays: a Go relay forwards whatever follows the header; we forward only well-formed query responses.
        ["relay-of-poison-query"] = c => new(PoisonWire.Relay(PoisonWire.Loopback, c.AgentPort,
            PoisonWire.Query(c.QueryLTime, c.Id, "poison-q", [], [[]], PoisonWire.Loopback, c.DeadPort))),
        ["relay-of-install-key-query"] = c => new(PoisonWire.Relay(PoisonWire.Loopback, c.AgentPort,
            PoisonWire.Query(c.QueryLTime, c.Id, "_serf_install-key", [], null, PoisonWire.Loopback, c.DeadPort))),
        // Lamport times at the top of the u64 range wrap Go clocks to 0.
        ["user-event-ltime-overflow"] = c => new(PoisonWire.User(PoisonWire.UserEvent(ulong.MaxValue - 1, c.Unique("ev")))),
        ["join-intent-ltime-overflow"] = c => new(PoisonWire.User(PoisonWire.JoinIntent(ulong.MaxValue - 1, c.Unique("intent")))),
        // TCP push/pull: node states every Go merge indexes (Vsn[0..5] in serf's merge delegate on join).
        ["pushpull-vsn-3-bytes"] = c => new(Stream: PoisonWire.PushPull(c.Unique("pp3"), c.DeadPort, 0, [1, 5, 2])),
        ["pushpull-vsn-missing"] = c => new(Stream: PoisonWire.PushPull(c.Unique("pp0"), c.DeadPort, 0, null)),
        ["pushpull-unknown-state"] = c => new(Stream: PoisonWire.PushPull(c.Unique("pps"), c.DeadPort, 7, PoisonWire.GoodVsn)),
    };

    public static TheoryData<string> Poisons() => new(Catalogue.Keys);

    [Theory]
    [MemberData(nameof(Poisons))]
    public async Task Poison_sent_to_a_Meshwork_node_never_reaches_or_hurts_the_serf_agents(string poison)
    {
        await cluster.EnsureHealthyAsync("before " + poison);
        var target = cluster.Meshwork[0];
        var before = target.MalformedInput.Counters.Total;
        var input = Catalogue[poison](cluster.Context(poison));
        if (input.Datagram is { } datagram) { cluster.SendDatagram(datagram); }
        else { await cluster.SendStreamAsync(input.Stream!); }

        // The poison was dropped and counted at the Meshwork node (not stored, not re-gossiped).
        await Eventually.TrueAsync(() => target.MalformedInput.Counters.Total > before, $"{poison} counted as malformed input");

        // A marker event along the same path: once every agent has it, the poison would have travelled too.
        var marker = $"marker-{Guid.NewGuid():n}"[..20];
        cluster.SendDatagram(PoisonWire.User(PoisonWire.UserEvent(target.Clocks.Event, marker)));
        foreach (var agent in cluster.Agents)
        {
            await Eventually.TrueAsync(() => agent.HasExited || agent.Log.Contains("messageUserEventType: " + marker, StringComparison.Ordinal),
                $"{agent.Name} receives the marker after {poison}");
        }
        await cluster.EnsureHealthyAsync("after " + poison);
    }

    /// <summary>What a poison builder may refer to.</summary>
    public sealed record PoisonContext(string Case, int DeadPort, int AgentPort, ulong QueryLTime, uint Id)
    {
        public string Unique(string what) => $"poison-{what}-{Guid.NewGuid().ToString("n")[..6]}";
    }

    /// <summary>Two agents and two Meshwork nodes, all joined; shared by every case of the class.</summary>
    public sealed class MixedCluster : IAsyncLifetime
    {
        private readonly Socket _udp = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

        internal List<SerfAgent> Agents { get; } = [];

        public List<SerfNode> Meshwork { get; } = [];

        public int DeadPort { get; } = SerfAgent.FreePort();

        public async ValueTask InitializeAsync()
        {
            _udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var a = await SerfAgent.StartAsync(Cluster.UniqueName("agent-a"));
            Agents.Add(a);
            Agents.Add(await SerfAgent.StartAsync(Cluster.UniqueName("agent-b"), $"-join=127.0.0.1:{a.BindPort}"));
            Meshwork.Add(Cluster.StartNode(Cluster.UniqueName("mesh-1")));
            Meshwork.Add(Cluster.StartNode(Cluster.UniqueName("mesh-2")));
            await Meshwork[0].JoinAsync([a.EndPoint]);
            await Meshwork[1].JoinAsync([Agents[1].EndPoint]);
            await EnsureHealthyAsync("cluster formed");
        }

        public PoisonContext Context(string name) =>
            new(name, DeadPort, Agents[0].BindPort, Meshwork[0].Clocks.Query, (uint)Random.Shared.Next(int.MaxValue));

        public void SendDatagram(byte[] datagram) => _udp.SendTo(datagram, Meshwork[0].LocalEndPoint);

        public async Task SendStreamAsync(byte[] request)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(Meshwork[0].LocalEndPoint);
            var stream = tcp.GetStream();
            await stream.WriteAsync(request);
            // The node answers (an error) and closes; reading to the end makes the exchange complete.
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            var buffer = new byte[4096];
            try { while (await stream.ReadAsync(buffer, cts.Token) > 0) { } }
            catch (IOException) { }
        }

        private IEnumerable<string> AllNames => Agents.Select(a => a.Name).Concat(Meshwork.Select(m => m.Name));

        /// <summary>Every agent runs, sees every member alive, accepts push/pull joins, and has sane clocks.</summary>
        public async Task EnsureHealthyAsync(string when)
        {
            foreach (var agent in Agents)
            {
                Assert.False(agent.HasExited, $"{agent.Name} exited ({when}):\n{Tail(agent.Log)}");
                await Eventually.TrueAsync(async () =>
                {
                    var members = await agent.MembersAsync();
                    return AllNames.All(n => members.Any(m => m.Name == n && m.Status == "alive"));
                }, $"{agent.Name} sees every member alive ({when})");
            }
            foreach (var node in Meshwork)
            {
                await Eventually.TrueAsync(() => AllNames.All(n => node.Member(n)?.Status == MemberStatus.Alive),
                    $"{node.Name} sees every member alive ({when})");
            }
            // Push/pull merges verify the versions of every known node (and serf's merge delegate indexes them).
            var (code, _, err) = await Agents[1].CliAsync("join", Meshwork[0].LocalEndPoint.ToString());
            Assert.True(code == 0, $"agent join through Meshwork failed ({when}): {err}");
            (code, _, err) = await Agents[0].CliAsync("join", Agents[1].EndPoint.ToString());
            Assert.True(code == 0, $"agent join through agent failed ({when}): {err}");
            foreach (var agent in Agents)
            {
                var (infoCode, info, infoErr) = await agent.CliAsync("info", "-format=json");
                Assert.True(infoCode == 0, infoErr);
                using var doc = JsonDocument.Parse(info);
                var serf = doc.RootElement.GetProperty("serf");
                foreach (var clock in new[] { "member_time", "event_time", "query_time" })
                {
                    var value = ulong.Parse(serf.GetProperty(clock).GetString()!, System.Globalization.CultureInfo.InvariantCulture);
                    Assert.True(value < 1UL << 62, $"{agent.Name} {clock} = {value} ({when})");
                }
            }
            Assert.All(Agents, a => Assert.False(a.HasExited, $"{a.Name} exited ({when}):\n{Tail(a.Log)}"));
        }

        private static string Tail(string log) => log.Length > 4000 ? log[^4000..] : log;

        public async ValueTask DisposeAsync()
        {
            foreach (var m in Meshwork) { await m.DisposeAsync(); }
            foreach (var a in Agents) { await a.DisposeAsync(); }
            _udp.Dispose();
        }
    }
}
