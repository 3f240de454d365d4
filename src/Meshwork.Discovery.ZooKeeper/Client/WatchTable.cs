using Meshwork.Discovery.ZooKeeper.Protocol;

namespace Meshwork.Discovery.ZooKeeper.Client;

/// <summary>
/// The session's one-shot watches, per path: a children watch (set by getChildren) and a node watch (set by exists
/// or getData). ZooKeeper notifies a path once per watch kind however many readers asked, so readers of the same path
/// share one task. Watches live on the server per connection: when the connection is lost they are gone, so every
/// watch here then fires with a local <see cref="WatchEventType.None"/> event and readers re-read (and re-arm) after
/// the reconnect. That makes the table bounded by the nodes being watched, and empty after every connection loss.
/// </summary>
internal sealed class WatchTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, TaskCompletionSource<WatchedEvent>> _children = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource<WatchedEvent>> _nodes = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (_gate) return _children.Count + _nodes.Count; }
    }

    public Task<WatchedEvent> Children(string path) => Get(_children, path);

    public Task<WatchedEvent> Node(string path) => Get(_nodes, path);

    private Task<WatchedEvent> Get(Dictionary<string, TaskCompletionSource<WatchedEvent>> table, string path)
    {
        lock (_gate)
        {
            if (!table.TryGetValue(path, out var tcs))
            {
                tcs = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
                table[path] = tcs;
            }
            return tcs.Task;
        }
    }

    /// <summary>Fires the watches a server notification triggers (the server's own rules per event type).</summary>
    public void Notify(WatchedEvent e)
    {
        if (e.Path is null) return;
        TaskCompletionSource<WatchedEvent>? node = null, children = null;
        lock (_gate)
        {
            switch (e.Type)
            {
                case WatchEventType.NodeCreated:
                case WatchEventType.NodeDataChanged:
                    _nodes.Remove(e.Path, out node);
                    break;
                case WatchEventType.NodeDeleted:
                    _nodes.Remove(e.Path, out node);
                    _children.Remove(e.Path, out children);
                    break;
                case WatchEventType.NodeChildrenChanged:
                    _children.Remove(e.Path, out children);
                    break;
            }
        }
        node?.TrySetResult(e);
        children?.TrySetResult(e);
    }

    /// <summary>Fires every watch with a local event (connection lost, session expired or closed) and empties the table.</summary>
    public void FireAll(WatchKeeperState state)
    {
        TaskCompletionSource<WatchedEvent>[] all;
        lock (_gate)
        {
            all = [.. _children.Values, .. _nodes.Values];
            _children.Clear();
            _nodes.Clear();
        }
        foreach (var tcs in all) tcs.TrySetResult(new WatchedEvent(WatchEventType.None, state, null));
    }
}
