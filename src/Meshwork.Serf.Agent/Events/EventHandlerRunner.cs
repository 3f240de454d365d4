using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;

namespace Meshwork.Serf.Agent.Events;

/// <summary>
/// Runs event handler scripts as serf does: <c>/bin/sh -c script</c> with <c>SERF_EVENT</c>, <c>SERF_SELF_NAME</c>,
/// <c>SERF_SELF_ROLE</c>, <c>SERF_TAG_*</c>, <c>SERF_USER_EVENT</c>/<c>SERF_USER_LTIME</c> or
/// <c>SERF_QUERY_NAME</c>/<c>SERF_QUERY_LTIME</c> in the environment; the payload (or, for member events, one
/// tab-separated line per member) on stdin; for a query, the script's output is the response. Scripts run one at a
/// time in event order, on their own queue: a slow script is reported, a hung one is killed after
/// <see cref="SerfAgentOptions.HandlerTimeout"/>, a failing one is logged, and none of them holds up the node.
/// </summary>
public sealed partial class EventHandlerRunner
{
    private readonly IReadOnlyList<(IReadOnlyList<EventFilter> Filters, string Script)> _handlers;
    private readonly SerfNode _node;
    private readonly SerfAgentOptions _options;
    private readonly ILogger _logger;

    internal EventHandlerRunner(SerfNode node, SerfAgentOptions options, ILogger logger)
    {
        _node = node;
        _options = options;
        _logger = logger;
        _handlers = options.EventHandlers.Select(Parse).ToList();
    }

    /// <summary>Scripts that ran to a zero exit status.</summary>
    public long Succeeded { get; private set; }

    /// <summary>Scripts that exited non-zero, could not start, or were killed on timeout.</summary>
    public long Failed { get; private set; }

    /// <summary>The handlers as serf's <c>stats</c> shows them ("user:deploy" → script).</summary>
    public IReadOnlyDictionary<string, string> Describe()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (filters, script) in _handlers)
        {
            foreach (var f in filters) d[$"{f.Event}:{f.Name}"] = script;
        }
        return d;
    }

    /// <summary>Splits <c>[filter=]script</c> into its filters (all events when absent) and script.</summary>
    public static (IReadOnlyList<EventFilter> Filters, string Script) Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        int eq = spec.IndexOf('=');
        return eq < 0 ? (EventFilter.ParseList(""), spec) : (EventFilter.ParseList(spec[..eq]), spec[(eq + 1)..]);
    }

    /// <summary>Subscribes now (so no event published after this call is missed) and runs the scripts until cancelled.</summary>
    internal Task StartAsync(AgentEventHub hub, CancellationToken ct)
    {
        if (_handlers.Count == 0) return Task.CompletedTask;
        var all = _handlers.SelectMany(h => h.Filters).Distinct().ToList();
        return RunAsync(hub.Subscribe(all, _options.HandlerQueueCapacity, "event handlers"), ct);
    }

    private async Task RunAsync(AgentEventHub.Subscription subscription, CancellationToken ct)
    {
        using var _ = subscription;
        try
        {
            await foreach (var e in subscription.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                foreach (var (filters, script) in _handlers)
                {
                    if (filters.Any(f => f.Matches(e))) await InvokeAsync(script, e, ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    [GeneratedRegex("[^A-Z0-9_]")]
    private static partial Regex TagNameCleaner();

    private async Task InvokeAsync(string script, SerfEvent e, CancellationToken ct)
    {
        string eventName = AgentEventNames.Of(e);
        var psi = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        var self = _node.Member(_node.Name);
        var tags = self?.Tags ?? _node.Options.Tags;
        psi.Environment["SERF_EVENT"] = eventName;
        psi.Environment["SERF_SELF_NAME"] = _node.Name;
        psi.Environment["SERF_SELF_ROLE"] = tags.TryGetValue("role", out var role) ? role : "";
        foreach (var (name, value) in tags) psi.Environment["SERF_TAG_" + TagNameCleaner().Replace(name.ToUpperInvariant(), "_")] = value;
        byte[] stdin;
        switch (e)
        {
            case UserEventRecord u:
                psi.Environment["SERF_USER_EVENT"] = u.Name;
                psi.Environment["SERF_USER_LTIME"] = u.LTime.ToString(System.Globalization.CultureInfo.InvariantCulture);
                stdin = WithNewline(u.Payload);
                break;
            case QueryEventRecord q:
                psi.Environment["SERF_QUERY_NAME"] = q.Name;
                psi.Environment["SERF_QUERY_LTIME"] = q.LTime.ToString(System.Globalization.CultureInfo.InvariantCulture);
                stdin = WithNewline(q.Payload);
                break;
            case MemberEventRecord m:
                stdin = Encoding.UTF8.GetBytes(MemberLine(m.Member));
                break;
            default:
                return;
        }

        var output = new BoundedOutput(_options.HandlerOutputLimit);
        using var process = new Process { StartInfo = psi };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Failed++;
            AgentLog.HandlerFailed(_logger, script, eventName, ex.Message);
            return;
        }
        var readOut = output.DrainAsync(process.StandardOutput.BaseStream);
        var readErr = output.DrainAsync(process.StandardError.BaseStream);
        try
        {
            await process.StandardInput.BaseStream.WriteAsync(stdin, ct).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The script exited without reading its input; that is its choice, not a failure.
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(_options.HandlerTimeout);
        var wait = process.WaitForExitAsync(timeout.Token);
        if (await Task.WhenAny(wait, Task.Delay(_options.HandlerSlowWarning, ct)).ConfigureAwait(false) != wait)
        {
            AgentLog.HandlerSlow(_logger, script, _options.HandlerSlowWarning);
        }
        try
        {
            await wait.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            Failed++;
            if (!ct.IsCancellationRequested) AgentLog.HandlerTimedOut(_logger, script, eventName, _options.HandlerTimeout);
            return;
        }
        await Task.WhenAll(readOut, readErr).ConfigureAwait(false);
        if (output.Total > _options.HandlerOutputLimit) AgentLog.HandlerOutputTruncated(_logger, script, output.Total, _options.HandlerOutputLimit);
        AgentLog.HandlerOutput(_logger, eventName, Encoding.UTF8.GetString(output.Bytes()));
        if (process.ExitCode != 0)
        {
            Failed++;
            AgentLog.HandlerFailed(_logger, script, eventName, $"exit status {process.ExitCode}");
            return;
        }
        Succeeded++;
        if (e is QueryEventRecord query && output.Total > 0)
        {
            try
            {
                await query.RespondAsync(output.Bytes()).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                AgentLog.HandlerRespondFailed(_logger, query.Name, ex.Message);
            }
        }
    }

    private static byte[] WithNewline(byte[] payload) =>
        payload.Length > 0 && payload[^1] != (byte)'\n' ? [.. payload, (byte)'\n'] : payload;

    private static string Clean(string v) => v.Replace("\t", "\\t", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    internal static string MemberLine(Member m)
    {
        string tags = string.Join(",", m.Tags.Select(t => $"{t.Key}={t.Value}"));
        return $"{Clean(m.Name)}\t{m.Address}\t{Clean(m.Tags.TryGetValue("role", out var r) ? r : "")}\t{Clean(tags)}\n";
    }

    /// <summary>Keeps the last <c>limit</c> bytes of a script's combined output, as serf's circular buffer does.</summary>
    private sealed class BoundedOutput(int limit)
    {
        private readonly object _gate = new();
        private readonly Queue<byte> _bytes = new();

        public long Total { get; private set; }

        public byte[] Bytes()
        {
            lock (_gate) return _bytes.ToArray();
        }

        public async Task DrainAsync(Stream s)
        {
            var buffer = new byte[4096];
            int n;
            while ((n = await s.ReadAsync(buffer).ConfigureAwait(false)) > 0)
            {
                lock (_gate)
                {
                    Total += n;
                    for (int i = 0; i < n; i++)
                    {
                        _bytes.Enqueue(buffer[i]);
                        if (_bytes.Count > limit) _bytes.Dequeue();
                    }
                }
            }
        }
    }
}
