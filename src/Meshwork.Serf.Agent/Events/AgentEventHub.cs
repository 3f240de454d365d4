using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Meshwork.Serf.Agent.Events;

/// <summary>
/// Reads the node's events once and hands each to every subscriber (client RPC streams, event handler scripts).
/// Each subscriber has its own bounded queue: a slow one loses its own events (counted in
/// <see cref="Subscription.Dropped"/> and logged), never anyone else's, and never stalls the node.
/// </summary>
public sealed class AgentEventHub
{
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private Subscription[] _subscribers = [];

    internal AgentEventHub(ILogger logger) => _logger = logger;

    /// <summary>Events received so far.</summary>
    public long Received { get; private set; }

    /// <summary>Adds a subscriber whose queue holds at most <paramref name="capacity"/> events.</summary>
    public Subscription Subscribe(IReadOnlyList<EventFilter> filters, int capacity, string name)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var s = new Subscription(this, filters, capacity, name);
        lock (_gate) _subscribers = [.. _subscribers, s];
        return s;
    }

    internal void Remove(Subscription s)
    {
        lock (_gate) _subscribers = _subscribers.Where(x => x != s).ToArray();
        s.Queue.Writer.TryComplete();
    }

    internal async Task RunAsync(SerfNode node, CancellationToken ct)
    {
        try
        {
            await foreach (var e in node.ReadEventsAsync(ct).ConfigureAwait(false))
            {
                if (e is not (MemberEventRecord or UserEventRecord or QueryEventRecord)) continue;
                Received++;
                AgentLog.ReceivedEvent(_logger, AgentEventNames.Describe(e));
                foreach (var s in Volatile.Read(ref _subscribers))
                {
                    if (!s.Filters.Any(f => f.Matches(e))) continue;
                    if (!s.Queue.Writer.TryWrite(e))
                    {
                        s.Dropped++;
                        AgentLog.EventDropped(_logger, AgentEventNames.Describe(e), s.Name);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var s in Volatile.Read(ref _subscribers)) s.Queue.Writer.TryComplete();
        }
    }

    /// <summary>One subscriber's queue; dispose to unsubscribe.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly AgentEventHub _hub;

        internal Subscription(AgentEventHub hub, IReadOnlyList<EventFilter> filters, int capacity, string name)
        {
            _hub = hub;
            Filters = filters;
            Name = name;
            Queue = Channel.CreateBounded<SerfEvent>(new BoundedChannelOptions(capacity)
            {
                FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; the hub then counts a drop
                SingleReader = true,
                SingleWriter = true,
            });
        }

        internal Channel<SerfEvent> Queue { get; }

        /// <summary>The filters this subscriber asked for.</summary>
        public IReadOnlyList<EventFilter> Filters { get; }

        /// <summary>Name for logs.</summary>
        public string Name { get; }

        /// <summary>Events this subscriber lost because its queue was full.</summary>
        public long Dropped { get; internal set; }

        /// <summary>The subscriber's events, in order.</summary>
        public ChannelReader<SerfEvent> Reader => Queue.Reader;

        /// <summary>Unsubscribes.</summary>
        public void Dispose() => _hub.Remove(this);
    }
}
