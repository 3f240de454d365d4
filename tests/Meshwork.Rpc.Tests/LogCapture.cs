using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// A logger factory that keeps every event it is given, so a test can wait for a component to report something it
/// does not otherwise expose (a received go-away, a heartbeat timeout) instead of sleeping and hoping.
/// </summary>
internal sealed class LogCapture : ILoggerFactory
{
    private readonly ConcurrentQueue<(EventId Id, string Message)> _events = new();

    /// <summary>True once an event with <paramref name="id"/> was logged.</summary>
    public bool Has(int id) => _events.Any(e => e.Id.Id == id);

    /// <summary>Messages of the events with <paramref name="id"/>, in order.</summary>
    public string[] Messages(int id) => _events.Where(e => e.Id.Id == id).Select(e => e.Message).ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._events.Enqueue((eventId, formatter(state, exception)));
    }
}
