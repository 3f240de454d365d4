using System.Threading.Channels;

namespace Meshwork.Serf;

/// <summary>
/// Local event coalescing as serf does it: within a window that closes after <c>period</c> from the first event or
/// after <c>quiescent</c> without new events, user events marked coalescable keep only the newest LTime per name, and
/// member events keep only the latest change per member. Other events pass straight through. Wire traffic is unaffected.
/// </summary>
internal sealed class Coalescer(ChannelReader<SerfEvent> input, ChannelWriter<SerfEvent> output, SerfOptions options)
{
    private readonly Dictionary<string, List<UserEventRecord>> _user = new(StringComparer.Ordinal);
    private readonly Dictionary<string, MemberEventRecord> _members = new(StringComparer.Ordinal);

    private bool CoalesceUser => options.UserCoalescePeriod > TimeSpan.Zero;

    private bool CoalesceMembers => options.CoalescePeriod > TimeSpan.Zero;

    public async Task RunAsync(CancellationToken ct)
    {
        DateTime? userStart = null, userLast = null, memberStart = null, memberLast = null;
        try
        {
            while (true)
            {
                var wait = NextDeadline(userStart, userLast, options.UserCoalescePeriod, options.UserQuiescentPeriod,
                    memberStart, memberLast, options.CoalescePeriod, options.QuiescentPeriod);
                var readTask = input.WaitToReadAsync(ct).AsTask();
                if (wait is { } w)
                {
                    var delay = w - DateTime.UtcNow;
                    if (delay > TimeSpan.Zero) { await Task.WhenAny(readTask, Task.Delay(delay, ct)).ConfigureAwait(false); }
                }
                else
                {
                    await readTask.ConfigureAwait(false);
                }
                if (readTask.IsCompleted && !await readTask.ConfigureAwait(false)) { break; }
                while (input.TryRead(out var e))
                {
                    var now = DateTime.UtcNow;
                    switch (e)
                    {
                        case UserEventRecord { Coalesce: true } u when CoalesceUser:
                            AddUser(u);
                            userStart ??= now;
                            userLast = now;
                            break;
                        case MemberEventRecord m when CoalesceMembers:
                            _members[m.Member.Name] = m;
                            memberStart ??= now;
                            memberLast = now;
                            break;
                        default:
                            await output.WriteAsync(e, ct).ConfigureAwait(false);
                            break;
                    }
                }
                var t = DateTime.UtcNow;
                if (Due(userStart, userLast, options.UserCoalescePeriod, options.UserQuiescentPeriod, t))
                {
                    foreach (var e in _user.Values.SelectMany(x => x).OrderBy(x => x.LTime)) { await output.WriteAsync(e, ct).ConfigureAwait(false); }
                    _user.Clear();
                    userStart = userLast = null;
                }
                if (Due(memberStart, memberLast, options.CoalescePeriod, options.QuiescentPeriod, t))
                {
                    foreach (var e in _members.Values) { await output.WriteAsync(e, ct).ConfigureAwait(false); }
                    _members.Clear();
                    memberStart = memberLast = null;
                }
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            output.TryComplete();
        }
    }

    private void AddUser(UserEventRecord u)
    {
        if (!_user.TryGetValue(u.Name, out var list)) { _user[u.Name] = list = []; }
        if (list.Count > 0 && list[0].LTime > u.LTime) { return; }
        if (list.Count > 0 && list[0].LTime < u.LTime) { list.Clear(); }
        list.Add(u);
    }

    private static bool Due(DateTime? start, DateTime? last, TimeSpan period, TimeSpan quiescent, DateTime now) =>
        start is { } s && last is { } l && (now - s >= period || now - l >= quiescent);

    private static DateTime? NextDeadline(DateTime? us, DateTime? ul, TimeSpan up, TimeSpan uq, DateTime? ms, DateTime? ml, TimeSpan mp, TimeSpan mq)
    {
        DateTime? best = null;
        void Consider(DateTime? start, DateTime? last, TimeSpan p, TimeSpan q)
        {
            if (start is not { } s || last is not { } l) { return; }
            var d = s + p < l + q ? s + p : l + q;
            if (best is null || d < best) { best = d; }
        }
        Consider(us, ul, up, uq);
        Consider(ms, ml, mp, mq);
        return best;
    }
}
