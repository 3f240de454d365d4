using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip.Composite;

/// <summary>Fans name-conflict notifications out to several <see cref="IConflictDelegate"/>s, in order, isolating failures.</summary>
public sealed class CompositeConflictDelegate : IConflictDelegate
{
    private readonly IConflictDelegate[] _members;

    /// <summary>Combines <paramref name="members"/> (called in this order); failures are logged to <paramref name="logger"/>.</summary>
    /// <exception cref="ArgumentException">No members, or a null one.</exception>
    public CompositeConflictDelegate(IEnumerable<IConflictDelegate> members, ILogger? logger = null, TimeSpan? logInterval = null)
    {
        _members = CompositeMembers.Check(members);
        Failures = new DelegateFailures(_members, logger, logInterval);
    }

    /// <summary>The combined delegates, in call order.</summary>
    public IReadOnlyList<IConflictDelegate> Members => _members;

    /// <summary>Exceptions thrown by the members, per member.</summary>
    public DelegateFailures Failures { get; }

    /// <inheritdoc/>
    public void NotifyConflict(Node existing, Node other) => Failures.ForEach(_members, nameof(NotifyConflict), d => d.NotifyConflict(existing, other));
}
