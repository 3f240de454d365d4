using Microsoft.Extensions.Logging;

namespace Meshwork.Governance.Tests;

/// <summary>Collects log entries so tests can check what was logged (event ids, counts).</summary>
internal sealed class TestLoggerFactory : ILoggerFactory
{
    public List<(EventId Id, LogLevel Level, string Message, Exception? Error)> Entries { get; } = [];

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    private sealed class Logger(TestLoggerFactory owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Entries) owner.Entries.Add((eventId, logLevel, formatter(state, exception), exception));
        }
    }
}
