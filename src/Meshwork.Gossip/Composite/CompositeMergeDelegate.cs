using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip.Composite;

/// <summary>
/// Several <see cref="IMergeDelegate"/>s combined: a push/pull merge is refused if any member refuses it. Every member
/// is asked, in the order given, even after a refusal (so each sees every merge attempt, for its own bookkeeping);
/// the refusal returned is the first one, with the others appended. A member that throws counts as a refusal (fail
/// closed: a merge guard that cannot decide must not let a foreign cluster in), and is counted and logged.
/// </summary>
public sealed class CompositeMergeDelegate : IMergeDelegate
{
    private readonly IMergeDelegate[] _members;

    /// <summary>Combines <paramref name="members"/> (asked in this order); failures are logged to <paramref name="logger"/>.</summary>
    /// <exception cref="ArgumentException">No members, or a null one.</exception>
    public CompositeMergeDelegate(IEnumerable<IMergeDelegate> members, ILogger? logger = null, TimeSpan? logInterval = null)
    {
        _members = CompositeMembers.Check(members);
        Failures = new DelegateFailures(_members, logger, logInterval);
    }

    /// <summary>The combined delegates, in call order.</summary>
    public IReadOnlyList<IMergeDelegate> Members => _members;

    /// <summary>Exceptions thrown by the members, per member.</summary>
    public DelegateFailures Failures { get; }

    /// <inheritdoc/>
    public string? NotifyMerge(IReadOnlyList<Node> peers)
    {
        List<string>? refusals = null;
        for (var i = 0; i < _members.Length; i++)
        {
            string? refusal;
            try { refusal = _members[i].NotifyMerge(peers); }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Failures.Record(i, nameof(NotifyMerge), e);
                refusal = $"merge delegate #{i} ({_members[i].GetType().Name}) failed: {e.Message}";
            }
            if (refusal is not null) { (refusals ??= []).Add(refusal); }
        }
        return refusals is null ? null : string.Join("; ", refusals);
    }
}
