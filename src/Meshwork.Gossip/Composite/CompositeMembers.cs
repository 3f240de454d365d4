namespace Meshwork.Gossip.Composite;

internal static class CompositeMembers
{
    /// <summary>At most this many delegates in one composite: each one runs under the state lock on every event.</summary>
    public const int MaxMembers = 64;

    public static T[] Check<T>(IEnumerable<T> members) where T : class
    {
        ArgumentNullException.ThrowIfNull(members);
        var array = members.ToArray();
        if (array.Length == 0) { throw new ArgumentException("a composite delegate needs at least one member", nameof(members)); }
        if (array.Length > MaxMembers) { throw new ArgumentException($"a composite delegate takes at most {MaxMembers} members, got {array.Length}", nameof(members)); }
        if (Array.IndexOf(array, null) is var i and >= 0) { throw new ArgumentException($"member {i} of the composite delegate is null", nameof(members)); }
        return array;
    }
}
