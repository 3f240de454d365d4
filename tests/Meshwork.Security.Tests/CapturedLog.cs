using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Meshwork.Security.Tests;

/// <summary>A logger factory that keeps every entry, so tests can check what was logged and how often.</summary>
internal sealed class CapturedLog : ILoggerFactory
{
    public sealed record Entry(int EventId, LogLevel Level, string Message, Exception? Exception);

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

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new Entry(eventId.Id, logLevel, formatter(state, exception), exception));
    }
}
