using System.Net;
using System.Threading.Channels;

namespace Meshwork.Serf.Tests;

public class CoalescerTests
{
    private static Member M(string name) => new(name, IPAddress.Loopback, 1, new Dictionary<string, string>(), MemberStatus.Alive, 1, 5, 2, 2, 5, 5);

    [Fact]
    public async Task Coalescable_user_events_keep_the_newest_ltime_and_member_events_the_latest_change()
    {
        var input = Channel.CreateUnbounded<SerfEvent>();
        var output = Channel.CreateUnbounded<SerfEvent>();
        var options = new SerfOptions
        {
            UserCoalescePeriod = TimeSpan.FromSeconds(2), UserQuiescentPeriod = TimeSpan.FromMilliseconds(200),
            CoalescePeriod = TimeSpan.FromSeconds(2), QuiescentPeriod = TimeSpan.FromMilliseconds(200),
        };
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var run = new Coalescer(input.Reader, output.Writer, options).RunAsync(cts.Token);

        input.Writer.TryWrite(new UserEventRecord(1, "deploy", [1], true));
        input.Writer.TryWrite(new UserEventRecord(2, "deploy", [2], true));
        input.Writer.TryWrite(new UserEventRecord(3, "deploy", [3], true));
        input.Writer.TryWrite(new UserEventRecord(4, "urgent", [4], false));
        input.Writer.TryWrite(new MemberEventRecord(MemberEventType.Join, M("a")));
        input.Writer.TryWrite(new MemberEventRecord(MemberEventType.Failed, M("a")));
        input.Writer.TryWrite(new MemberEventRecord(MemberEventType.Join, M("b")));

        var got = new List<SerfEvent>();
        while (got.Count < 4) { got.Add(await output.Reader.ReadAsync(cts.Token)); }
        input.Writer.TryComplete();
        await run;

        Assert.Equal("urgent", Assert.IsType<UserEventRecord>(got[0]).Name);
        var deploy = Assert.Single(got.OfType<UserEventRecord>(), e => e.Name == "deploy");
        Assert.Equal(3ul, deploy.LTime);
        Assert.Equal(MemberEventType.Failed, Assert.Single(got.OfType<MemberEventRecord>(), e => e.Member.Name == "a").Type);
        Assert.Single(got.OfType<MemberEventRecord>(), e => e.Member.Name == "b");
    }
}
