using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip.Composite;

/// <summary>
/// Several <see cref="IPingDelegate"/>s combined. An ack carries one payload, so <see cref="AckPayload"/> is the first
/// non-null payload in member order (serf's coordinates, when serf's delegate is first); every member observes every
/// completed probe. Failures are isolated, counted and logged; a member whose payload hook throws is skipped.
/// </summary>
public sealed class CompositePingDelegate : IPingDelegate
{
    private readonly IPingDelegate[] _members;

    /// <summary>Combines <paramref name="members"/> (in this order); failures are logged to <paramref name="logger"/>.</summary>
    /// <exception cref="ArgumentException">No members, or a null one.</exception>
    public CompositePingDelegate(IEnumerable<IPingDelegate> members, ILogger? logger = null, TimeSpan? logInterval = null)
    {
        _members = CompositeMembers.Check(members);
        Failures = new DelegateFailures(_members, logger, logInterval);
    }

    /// <summary>The combined delegates, in order.</summary>
    public IReadOnlyList<IPingDelegate> Members => _members;

    /// <summary>Exceptions thrown by the members, per member.</summary>
    public DelegateFailures Failures { get; }

    /// <inheritdoc/>
    public byte[]? AckPayload()
    {
        for (var i = 0; i < _members.Length; i++)
        {
            try
            {
                if (_members[i].AckPayload() is { } payload) { return payload; }
            }
            catch (Exception e) when (e is not OutOfMemoryException) { Failures.Record(i, nameof(AckPayload), e); }
        }
        return null;
    }

    /// <inheritdoc/>
    public void NotifyPingComplete(Node other, TimeSpan rtt, ReadOnlySpan<byte> payload)
    {
        var copy = payload.ToArray();
        Failures.ForEach(_members, nameof(NotifyPingComplete), d => d.NotifyPingComplete(other, rtt, copy));
    }
}
