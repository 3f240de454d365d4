using System.Collections.Concurrent;
using System.Net;

namespace Meshwork.Serf.Tests;

/// <summary>The reconnect delegate: serf's default rule, the backoff alternative, and a policy driving real nodes.</summary>
public class ReconnectDelegateTests
{
    private static Member FailedMember(string name) => new(name, IPAddress.Loopback, 7946, new Dictionary<string, string>(), MemberStatus.Failed, 1, 5, 2, 2, 5, 5);

    private static ReconnectCandidate Candidate(string name, TimeSpan failedFor, int attempts = 0, TimeSpan? since = null) =>
        new(FailedMember(name), failedFor, attempts, since);

    [Fact]
    public void Serfs_rule_tries_one_random_failed_member_with_probability_failed_over_the_others()
    {
        var rule = new SerfReconnectDelegate(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(30), rule.NextRoundDelay());
        var random = new Random(42);
        // 1 failed among 5 members (4 others): tried in about a quarter of the rounds, always exactly one member.
        var round = new ReconnectRound([Candidate("x", TimeSpan.FromMinutes(1))], Members: 5, LeftMembers: 0, random);
        var tried = Enumerable.Range(0, 4000).Select(_ => rule.SelectTargets(round)).ToList();
        Assert.All(tried, t => Assert.True(t.Count <= 1));
        Assert.InRange(tried.Count(t => t.Count == 1), 850, 1150);
        // 2 failed of 3 (1 other): probability 2 → every round.
        var most = new ReconnectRound([Candidate("x", TimeSpan.Zero), Candidate("y", TimeSpan.Zero)], Members: 3, LeftMembers: 0, random);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.Single(rule.SelectTargets(most)));
        Assert.Empty(rule.SelectTargets(new ReconnectRound([], 3, 0, random)));
    }

    [Fact]
    public void Backoff_policy_waits_longer_after_each_attempt_and_gives_up()
    {
        var policy = new BackoffReconnectDelegate(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), maxAttempts: 3, TimeSpan.FromMilliseconds(100));
        var random = new Random(1);
        ReconnectRound Round(ReconnectCandidate c) => new([c], 3, 0, random);
        Assert.Empty(policy.SelectTargets(Round(Candidate("x", TimeSpan.FromMilliseconds(400)))));   // < 50 % of the first delay
        Assert.Single(policy.SelectTargets(Round(Candidate("x", TimeSpan.FromSeconds(1)))));         // ≥ 100 %
        Assert.Empty(policy.SelectTargets(Round(Candidate("x", TimeSpan.FromSeconds(9), 2, TimeSpan.FromSeconds(1.9)))));  // 2nd wait is 4 s (jittered ≥ 2 s)
        Assert.Single(policy.SelectTargets(Round(Candidate("x", TimeSpan.FromSeconds(9), 2, TimeSpan.FromSeconds(4)))));
        Assert.Empty(policy.SelectTargets(Round(Candidate("x", TimeSpan.FromHours(1), 3, TimeSpan.FromHours(1)))));   // gave up
        Assert.Throws<ArgumentOutOfRangeException>(() => new BackoffReconnectDelegate(TimeSpan.Zero, TimeSpan.FromSeconds(1), 1, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Backoff_policy_draws_each_wait_once_per_attempt_so_waits_spread_over_half_to_all_of_the_delay()
    {
        var policy = new BackoffReconnectDelegate(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), maxAttempts: 3, TimeSpan.FromMilliseconds(10));
        var random = new Random(3);
        var names = Enumerable.Range(0, 200).Select(i => $"m{i}").ToList();
        var notYetDue = new HashSet<string>(names);
        var firstDueAtMs = new List<int>();
        // Rounds every 10 ms through the first delay (1 s): a member becomes due when its own wait is reached, and stays due.
        for (int ms = 0; ms <= 1000; ms += 10)
        {
            var failed = names.Select(n => Candidate(n, TimeSpan.FromMilliseconds(ms))).ToList();
            var due = policy.SelectTargets(new ReconnectRound(failed, 300, 0, random)).Select(c => c.Member.Name).ToHashSet();
            Assert.All(names.Where(n => !due.Contains(n)), n => Assert.Contains(n, notYetDue));
            foreach (var n in due.Where(notYetDue.Remove)) firstDueAtMs.Add(ms);
        }
        Assert.Empty(notYetDue);
        Assert.All(firstDueAtMs, t => Assert.InRange(t, 500, 1000));
        // Uniform over 50–100 %: about 30 % wait past 850 ms. A fresh draw every round would make nearly all due by 700 ms.
        Assert.InRange(firstDueAtMs.Count(t => t > 850), 30, 90);
    }

    private sealed class RecordingPolicy(IReconnectDelegate inner) : IReconnectDelegate
    {
        public ConcurrentQueue<(string Name, Exception? Error)> Attempts { get; } = new();
        public TimeSpan NextRoundDelay() => inner.NextRoundDelay();
        public IReadOnlyList<ReconnectCandidate> SelectTargets(ReconnectRound round) => inner.SelectTargets(round);
        public void NotifyAttempt(ReconnectCandidate target, Exception? error) => Attempts.Enqueue((target.Member.Name, error));
    }

    /// <summary>A member that comes back without joining anyone is found again only by a reconnect.</summary>
    private static async Task RestartedMemberIsReconnected(Action<SerfOptions> configure, double seconds)
    {
        await using var a = Cluster.StartNode(Cluster.UniqueName("rc-a"), configure: configure);
        var name = Cluster.UniqueName("rc-b");
        var b = Cluster.StartNode(name);
        var port = b.LocalEndPoint.Port;
        await using (b)
        {
            await b.JoinAsync([a.LocalEndPoint]);
            await Eventually.TrueAsync(() => a.Member(name)?.Status == MemberStatus.Alive, "b joined a");
        }
        await Eventually.TrueAsync(() => a.Member(name)?.Status == MemberStatus.Failed, "a marks the vanished b failed", 60);

        await using var again = Cluster.StartNode(name, configure: o => o.Memberlist.BindPort = port);
        await Eventually.TrueAsync(() => a.Member(name)?.Status == MemberStatus.Alive, "a reconnected to the restarted b", seconds);
        Assert.True(a.ReconnectAttempts > 0);
    }

    [Fact]
    public async Task The_reconnect_delegate_decides_when_a_failed_member_is_retried()
    {
        var policy = new RecordingPolicy(new BackoffReconnectDelegate(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), 100, TimeSpan.FromMilliseconds(100)));
        // serf's own interval is an hour here: only the delegate can bring b back within the test.
        await RestartedMemberIsReconnected(o => { o.ReconnectInterval = TimeSpan.FromHours(1); o.ReconnectDelegate = policy; }, 30);
        Assert.Contains(policy.Attempts, x => x.Error is null);
    }

    [Fact]
    public async Task Without_a_delegate_serfs_rule_runs_with_the_reconnect_interval()
    {
        await RestartedMemberIsReconnected(o => o.ReconnectInterval = TimeSpan.FromMilliseconds(300), 30);
        await using var node = Cluster.StartNode(Cluster.UniqueName("rc-default"), configure: o => o.ReconnectInterval = TimeSpan.FromSeconds(7));
        var rule = Assert.IsType<SerfReconnectDelegate>(node.ReconnectDelegate);
        Assert.Equal(TimeSpan.FromSeconds(7), rule.Interval);
    }

    private sealed class FaultyPolicy : IReconnectDelegate
    {
        public TimeSpan NextRoundDelay() => TimeSpan.FromMilliseconds(50);
        public IReadOnlyList<ReconnectCandidate> SelectTargets(ReconnectRound round) => throw new InvalidOperationException("policy bug");
        public void NotifyAttempt(ReconnectCandidate target, Exception? error) { }
    }

    [Fact]
    public async Task A_throwing_reconnect_delegate_is_counted_and_the_node_keeps_running()
    {
        var policy = new FaultyPolicy();
        await using var a = Cluster.StartNode(Cluster.UniqueName("rc-f"), configure: o => { o.ReconnectDelegate = policy; o.ReconnectInterval = TimeSpan.FromMilliseconds(100); });
        var name = Cluster.UniqueName("rc-g");
        await using (var b = Cluster.StartNode(name))
        {
            await b.JoinAsync([a.LocalEndPoint]);
            await Eventually.TrueAsync(() => a.Member(name)?.Status == MemberStatus.Alive, "b joined");
        }
        await Eventually.TrueAsync(() => a.ReconnectDelegateFailures >= 2, "the faulty policy was called in several rounds", 60);
        Assert.Equal(MemberStatus.Failed, a.Member(name)!.Status);
    }
}
