using System.Globalization;
using System.Net;

namespace Meshwork.Serf;

/// <summary>What a snapshot file says about the previous run.</summary>
internal sealed record SnapshotState(IReadOnlyDictionary<string, IPEndPoint> AliveNodes, ulong Clock, ulong EventClock, ulong QueryClock, bool Left);

/// <summary>
/// Serf-compatible snapshot file: one record per line (<c>alive: name ip:port</c>, <c>not-alive: name</c>,
/// <c>clock: n</c>, <c>event-clock: n</c>, <c>query-clock: n</c>, <c>leave</c>), appended and flushed periodically,
/// so a restarted node can rejoin its cluster and ignore events it already saw.
/// </summary>
internal sealed class Snapshotter : IAsyncDisposable
{
    private const long CompactThreshold = 128 * 1024;
    private readonly string _path;
    private readonly Lock _gate = new();
    private readonly List<string> _pending = [];
    private readonly Dictionary<string, IPEndPoint> _alive = new(StringComparer.Ordinal);
    private ulong _clock, _eventClock, _queryClock;
    private ulong _lastClock, _lastEventClock, _lastQueryClock;
    private StreamWriter _writer;
    private long _size;

    public Snapshotter(string path, SnapshotState previous)
    {
        _path = path;
        foreach (var (k, v) in previous.AliveNodes) { _alive[k] = v; }
        _lastClock = _clock = previous.Clock;
        _lastEventClock = _eventClock = previous.EventClock;
        _lastQueryClock = _queryClock = previous.QueryClock;
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) { Directory.CreateDirectory(dir); }
        _writer = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read));
        _size = new FileInfo(path).Length;
    }

    /// <summary>Reads a snapshot; a missing file is an empty state. <c>leave</c> wipes prior state unless <paramref name="rejoinAfterLeave"/>.</summary>
    public static SnapshotState Replay(string path, bool rejoinAfterLeave)
    {
        var alive = new Dictionary<string, IPEndPoint>(StringComparer.Ordinal);
        ulong clock = 0, eventClock = 0, queryClock = 0;
        var left = false;
        if (!File.Exists(path)) { return new SnapshotState(alive, 0, 0, 0, false); }
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) { continue; }
            if (line.StartsWith("alive: ", StringComparison.Ordinal))
            {
                var rest = line["alive: ".Length..];
                var space = rest.LastIndexOf(' ');
                if (space > 0 && IPEndPoint.TryParse(rest[(space + 1)..], out var ep)) { alive[rest[..space]] = ep; }
            }
            else if (line.StartsWith("not-alive: ", StringComparison.Ordinal)) { alive.Remove(line["not-alive: ".Length..]); }
            else if (line.StartsWith("clock: ", StringComparison.Ordinal)) { clock = ParseU64(line["clock: ".Length..]); }
            else if (line.StartsWith("event-clock: ", StringComparison.Ordinal)) { eventClock = ParseU64(line["event-clock: ".Length..]); }
            else if (line.StartsWith("query-clock: ", StringComparison.Ordinal)) { queryClock = ParseU64(line["query-clock: ".Length..]); }
            else if (line == "leave")
            {
                left = true;
                if (!rejoinAfterLeave) { alive.Clear(); clock = eventClock = queryClock = 0; }
            }
        }
        return new SnapshotState(alive, clock, eventClock, queryClock, left);
    }

    private static ulong ParseU64(string s) => ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    /// <summary>Records an event (called under the node lock; only buffers).</summary>
    public void Record(SerfEvent e)
    {
        lock (_gate)
        {
            switch (e)
            {
                case MemberEventRecord { Type: MemberEventType.Join } j:
                    var ep = new IPEndPoint(j.Member.Address, j.Member.Port);
                    _alive[j.Member.Name] = ep;
                    _pending.Add($"alive: {j.Member.Name} {ep}");
                    break;
                case MemberEventRecord { Type: MemberEventType.Leave or MemberEventType.Failed or MemberEventType.Reap } l:
                    if (_alive.Remove(l.Member.Name)) { _pending.Add($"not-alive: {l.Member.Name}"); }
                    break;
                case UserEventRecord u:
                    _eventClock = Math.Max(_eventClock, u.LTime);
                    break;
                case QueryEventRecord q:
                    _queryClock = Math.Max(_queryClock, q.LTime);
                    break;
            }
        }
    }

    public void UpdateClock(ulong memberClockTime)
    {
        lock (_gate) { _clock = memberClockTime > 0 ? memberClockTime - 1 : 0; }
    }

    public void RecordQueryTime(ulong ltime)
    {
        lock (_gate) { _queryClock = Math.Max(_queryClock, ltime); }
    }

    public void RecordLeave()
    {
        lock (_gate) { _pending.Add("leave"); }
    }

    /// <summary>Writes buffered lines and changed clocks; compacts the file when it grew too large.</summary>
    public async Task FlushAsync()
    {
        List<string> lines;
        lock (_gate)
        {
            if (_clock != _lastClock) { _pending.Add(string.Create(CultureInfo.InvariantCulture, $"clock: {_clock}")); _lastClock = _clock; }
            if (_eventClock != _lastEventClock) { _pending.Add(string.Create(CultureInfo.InvariantCulture, $"event-clock: {_eventClock}")); _lastEventClock = _eventClock; }
            if (_queryClock != _lastQueryClock) { _pending.Add(string.Create(CultureInfo.InvariantCulture, $"query-clock: {_queryClock}")); _lastQueryClock = _queryClock; }
            lines = [.. _pending];
            _pending.Clear();
        }
        if (lines.Count == 0) { return; }
        foreach (var line in lines)
        {
            await _writer.WriteLineAsync(line).ConfigureAwait(false);
            _size += line.Length + 1;
        }
        await _writer.FlushAsync().ConfigureAwait(false);
        if (_size > Math.Max(CompactThreshold, 2 * 128L * _alive.Count)) { await CompactAsync().ConfigureAwait(false); }
    }

    private async Task CompactAsync()
    {
        var tmp = _path + ".compact";
        List<string> lines;
        lock (_gate)
        {
            lines = _alive.Select(kv => $"alive: {kv.Key} {kv.Value}").ToList();
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"clock: {_clock}"));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"event-clock: {_eventClock}"));
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"query-clock: {_queryClock}"));
        }
        await File.WriteAllLinesAsync(tmp, lines).ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
        File.Move(tmp, _path, overwrite: true);
        _writer = new StreamWriter(new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read));
        _size = new FileInfo(_path).Length;
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync().ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
    }
}
