using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Meshwork.Serf.Agent;

/// <summary>
/// A logger provider that writes serf-style lines (<c>2026/11/30 21:00:00 [INFO] agent: Received event: ...</c>) to
/// an output (the console for <c>meshwork agent</c>) and to every <c>monitor</c> client. It keeps the last
/// <see cref="BacklogLines"/> lines so that a new monitor sees recent history first, as serf's does. Each monitor has
/// a bounded queue: a slow monitor loses lines (counted), the agent never waits for it.
/// </summary>
public sealed class AgentLogSink : ILoggerProvider, ILoggerFactory
{
    /// <summary>Lines kept for new monitors (serf keeps 512).</summary>
    public const int BacklogLines = 512;

    private readonly TextWriter? _output;
    private readonly LogLevel _outputLevel;
    private readonly object _gate = new();
    private readonly Queue<(LogLevel Level, string Line)> _backlog = new();
    private readonly List<Monitor> _monitors = [];
    private volatile int _floor; // lowest level anyone reads: below it, loggers skip formatting

    /// <summary>Creates the sink; lines at or above <paramref name="outputLevel"/> also go to <paramref name="output"/>.</summary>
    public AgentLogSink(TextWriter? output, LogLevel outputLevel)
    {
        _output = output;
        _outputLevel = outputLevel;
        UpdateFloor();
    }

    private void UpdateFloor()
    {
        var floor = _output is null ? LogLevel.Information : _outputLevel; // the backlog keeps info and above for new monitors
        if (floor > LogLevel.Information) floor = LogLevel.Information;
        foreach (var m in _monitors)
        {
            if (m.Level < floor) floor = m.Level;
        }
        _floor = (int)floor;
    }

    /// <summary>Parses a serf log level name (trace, debug, info, warn, err; also .NET's information, warning, none; any case).</summary>
    /// <exception cref="ArgumentException">Not a level serf knows; the message is serf's ("Unknown log level: X").</exception>
    public static LogLevel ParseLevel(string name) => name.ToUpperInvariant() switch
    {
        "TRACE" => LogLevel.Trace,
        "DEBUG" => LogLevel.Debug,
        "INFO" or "INFORMATION" => LogLevel.Information,
        "WARN" or "WARNING" => LogLevel.Warning,
        "ERR" or "ERROR" => LogLevel.Error,
        "NONE" => LogLevel.None,
        _ => throw new ArgumentException($"Unknown log level: {name.ToUpperInvariant()}"),
    };

    /// <inheritdoc/>
    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, ShortCategory(categoryName));

    /// <summary>Not supported: the sink is the agent's only log destination.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("the agent log sink has no other providers");

    /// <summary>Starts a monitor at <paramref name="level"/> with a queue of <paramref name="capacity"/> lines, primed with the backlog.</summary>
    public Monitor StartMonitor(LogLevel level, int capacity = 1024)
    {
        var m = new Monitor(this, level, capacity);
        lock (_gate)
        {
            foreach (var (l, line) in _backlog)
            {
                if (l >= level) m.Queue.Writer.TryWrite(line);
            }
            _monitors.Add(m);
            UpdateFloor();
        }
        return m;
    }

    private static string ShortCategory(string category)
    {
        if (category.StartsWith("Meshwork.Serf.Agent", StringComparison.Ordinal)) return category.Contains("Ipc", StringComparison.Ordinal) ? "agent.ipc" : "agent";
        if (category.StartsWith("Meshwork.Serf", StringComparison.Ordinal)) return "serf";
        if (category.StartsWith("Meshwork.Gossip", StringComparison.Ordinal)) return "memberlist";
        int dot = category.LastIndexOf('.');
        return dot >= 0 ? category[(dot + 1)..].ToLowerInvariant() : category;
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "TRACE",
        LogLevel.Debug => "DEBUG",
        LogLevel.Information => "INFO",
        LogLevel.Warning => "WARN",
        _ => "ERR",
    };

    private void Write(LogLevel level, string category, string message)
    {
        string line = $"{DateTime.Now.ToString("yyyy/MM/dd HH:mm:ss", CultureInfo.InvariantCulture)} [{LevelName(level)}] {category}: {message}";
        lock (_gate)
        {
            _backlog.Enqueue((level, line));
            if (_backlog.Count > BacklogLines) _backlog.Dequeue();
            foreach (var m in _monitors)
            {
                if (level >= m.Level && !m.Queue.Writer.TryWrite(line)) m.Dropped++;
            }
            if (_output is not null && level >= _outputLevel)
            {
                _output.WriteLine(line);
                _output.Flush();
            }
        }
    }

    private void Remove(Monitor m)
    {
        lock (_gate)
        {
            _monitors.Remove(m);
            UpdateFloor();
        }
        m.Queue.Writer.TryComplete();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var m in _monitors) m.Queue.Writer.TryComplete();
            _monitors.Clear();
        }
    }

    /// <summary>One monitor's stream of lines; dispose to stop it.</summary>
    public sealed class Monitor : IDisposable
    {
        private readonly AgentLogSink _sink;

        internal Monitor(AgentLogSink sink, LogLevel level, int capacity)
        {
            _sink = sink;
            Level = level;
            Queue = Channel.CreateBounded<string>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });
        }

        internal Channel<string> Queue { get; }

        /// <summary>Lowest level sent.</summary>
        public LogLevel Level { get; }

        /// <summary>Lines lost because this monitor's queue was full.</summary>
        public long Dropped { get; internal set; }

        /// <summary>The lines, in order.</summary>
        public ChannelReader<string> Reader => Queue.Reader;

        /// <summary>Stops the monitor.</summary>
        public void Dispose() => _sink.Remove(this);
    }

    private sealed class SinkLogger(AgentLogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && (int)logLevel >= sink._floor;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            // Never a stack trace in the agent's log: the exception's message is enough for an operator.
            string message = exception is null ? formatter(state, null) : $"{formatter(state, null)}: {exception.Message}";
            sink.Write(logLevel, category, message);
        }
    }
}
