using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip.Composite;

/// <summary>
/// Fans every membership change out to several <see cref="IMemberEventDelegate"/>s, in the order given, each call
/// made even when an earlier member threw (the failure is counted and logged in <see cref="Failures"/>).
/// </summary>
public sealed class CompositeMemberEventDelegate : IMemberEventDelegate
{
    private readonly IMemberEventDelegate[] _members;

    /// <summary>Combines <paramref name="members"/> (called in this order); failures are logged to <paramref name="logger"/>.</summary>
    /// <exception cref="ArgumentException">No members, or a null one.</exception>
    public CompositeMemberEventDelegate(IEnumerable<IMemberEventDelegate> members, ILogger? logger = null, TimeSpan? logInterval = null)
    {
        _members = CompositeMembers.Check(members);
        Failures = new DelegateFailures(_members, logger, logInterval);
    }

    /// <summary>The combined delegates, in call order.</summary>
    public IReadOnlyList<IMemberEventDelegate> Members => _members;

    /// <summary>Exceptions thrown by the members, per member.</summary>
    public DelegateFailures Failures { get; }

    /// <inheritdoc/>
    public void NotifyJoin(Node node) => Failures.ForEach(_members, nameof(NotifyJoin), d => d.NotifyJoin(node));

    /// <inheritdoc/>
    public void NotifyLeave(Node node) => Failures.ForEach(_members, nameof(NotifyLeave), d => d.NotifyLeave(node));

    /// <inheritdoc/>
    public void NotifyUpdate(Node node) => Failures.ForEach(_members, nameof(NotifyUpdate), d => d.NotifyUpdate(node));
}
