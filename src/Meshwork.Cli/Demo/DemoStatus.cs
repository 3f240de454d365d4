using System.Globalization;
using System.Text.Json;
using Meshwork.Gateway.Dashboard;

namespace Meshwork.Cli.Demo;

/// <summary>
/// The demo's live status display: members and their states, calls per second, errors and p99 latency per method,
/// and the breaker of each instance, read from the web dashboard's own snapshot (one source for both views). On a
/// terminal it is a block kept below the demo's narrative and redrawn in place (<see cref="StatusConsole"/>); when
/// stdout is a file or a pipe it is one plain line per interval, prefixed <see cref="LinePrefix"/>, so a log stays readable.
/// </summary>
internal sealed class DemoStatus : IAsyncDisposable
{
    /// <summary>Starts every plain status line, so that logs can be filtered.</summary>
    public const string LinePrefix = "[status]";

    /// <summary>Methods shown: the busiest few, so that the block stays a few lines high.</summary>
    private const int MaxMethods = 3;

    private readonly MeshworkDashboard _dashboard;
    private readonly StatusConsole? _console;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private readonly string _url;

    private DemoStatus(MeshworkDashboard dashboard, string url, TimeSpan interval, StatusConsole? console)
    {
        _dashboard = dashboard;
        _url = url;
        _console = console;
        _loop = RunAsync(interval);
    }

    /// <summary>A redraw every second on a terminal; a line every 5 s in a log, where one a second would drown the narrative.</summary>
    public static TimeSpan DefaultInterval => Console.IsOutputRedirected ? TimeSpan.FromSeconds(5) : TimeSpan.FromSeconds(1);

    /// <summary>Starts the display; <paramref name="interval"/> zero turns it off (null returned).</summary>
    public static DemoStatus? Start(MeshworkDashboard dashboard, string url, TimeSpan interval)
    {
        if (interval <= TimeSpan.Zero) return null;
        return new DemoStatus(dashboard, url, interval, Console.IsOutputRedirected ? null : StatusConsole.Install());
    }

    private async Task RunAsync(TimeSpan interval)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                var lines = Render(_dashboard.Snapshot);
                if (lines is null) continue;
                if (_console is not null) _console.ShowBlock([.. lines, "dashboard: " + _url]);
                else Console.WriteLine($"{LinePrefix} {string.Join(" | ", lines)}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The status as lines (members, methods, breakers), or null before the dashboard's first snapshot.</summary>
    internal static string[]? Render(ReadOnlyMemory<byte> snapshot)
    {
        if (snapshot.IsEmpty) return null;
        using var doc = JsonDocument.Parse(snapshot);
        var root = doc.RootElement;
        var members = root.GetProperty("members").EnumerateArray()
            .Select(m => $"{m.GetProperty("name").GetString()} {m.GetProperty("status").GetString()}")
            .Order(StringComparer.Ordinal);
        var rows = root.GetProperty("methods").EnumerateArray().ToList();
        // The demo's client is instrumented, so its view (fail-over included) is the truth; servers' rows are the fallback.
        var side = rows.Any(r => r.GetProperty("side").GetString() == "client") ? "client" : "server";
        var methods = rows.Where(r => r.GetProperty("side").GetString() == side)
            .OrderByDescending(r => r.GetProperty("rate").GetDouble())
            .Take(MaxMethods)
            .Select(r =>
            {
                double rate = r.GetProperty("rate").GetDouble();
                double errors = rate * r.GetProperty("errorRate").GetDouble();
                return string.Create(CultureInfo.InvariantCulture,
                    $"{r.GetProperty("service").GetString()}/{r.GetProperty("method").GetString()} {rate:0.0} calls/s, {errors:0.0} errors/s, p99 {r.GetProperty("p99Ms").GetDouble():0.00} ms");
            })
            .ToList();
        var breakers = root.GetProperty("services").EnumerateArray()
            .SelectMany(s => s.GetProperty("instances").EnumerateArray())
            .Select(i => $"{(i.TryGetProperty("node", out var n) ? n.GetString() : i.GetProperty("address").GetString())} {i.GetProperty("breaker").GetString()}")
            .Order(StringComparer.Ordinal)
            .ToList();
        return
        [
            "members: " + string.Join(", ", members),
            $"calls ({side}, last 10 s): " + (methods.Count == 0 ? "none yet" : string.Join("; ", methods)),
            "breakers: " + (breakers.Count == 0 ? "no instances" : string.Join(", ", breakers)),
        ];
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _console?.Uninstall();
        _stop.Dispose();
    }
}
