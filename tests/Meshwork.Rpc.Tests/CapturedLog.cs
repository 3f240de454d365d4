using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Meshwork.Rpc.Tests;

/// <summary>A logger factory that keeps every entry (event id, level, message, structured values, exception).</summary>
internal sealed class CapturedLog : ILoggerFactory
{
    public sealed record Entry(int EventId, LogLevel Level, string Message, IReadOnlyDictionary<string, object?> Values, Exception? Exception);

    public ConcurrentQueue<Entry> Entries { get; } = new();

    public IReadOnlyList<Entry> WithEventId(int id) => Entries.Where(e => e.EventId == id).ToList();

    public ILogger CreateLogger(string categoryName) => new Logger(Entries);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<Entry> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : new Dictionary<string, object?>();
            entries.Enqueue(new Entry(eventId.Id, logLevel, formatter(state, exception), values, exception));
        }
    }
}
