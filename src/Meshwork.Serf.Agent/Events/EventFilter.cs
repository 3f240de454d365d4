namespace Meshwork.Serf.Agent.Events;

/// <summary>
/// One clause of a serf event filter: an event type (<c>member-join</c>, <c>member-leave</c>, <c>member-failed</c>,
/// <c>member-update</c>, <c>member-reap</c>, <c>user</c>, <c>query</c> or <c>*</c>) and, for user events and
/// queries, an optional name (<c>user:deploy</c>, <c>query:load</c>).
/// </summary>
/// <param name="Event">Event type, or <c>*</c> for every event.</param>
/// <param name="Name">For <c>user</c> and <c>query</c>: the only name that matches; empty matches every name.</param>
public sealed record EventFilter(string Event, string Name)
{
    private static readonly HashSet<string> s_types = new(StringComparer.Ordinal)
    {
        "member-join", "member-leave", "member-failed", "member-update", "member-reap", "user", "query", "*",
    };

    /// <summary>Whether <see cref="Event"/> is a type serf knows.</summary>
    public bool IsValid => s_types.Contains(Event);

    /// <summary>
    /// Parses a comma-separated filter as serf does; an empty text means <c>*</c>. Clauses are not checked here: see
    /// <see cref="IsValid"/>.
    /// </summary>
    public static IReadOnlyList<EventFilter> ParseList(string text)
    {
        if (string.IsNullOrEmpty(text)) text = "*";
        var result = new List<EventFilter>();
        foreach (var clause in text.Split(','))
        {
            if (clause.StartsWith("user:", StringComparison.Ordinal)) result.Add(new("user", clause["user:".Length..]));
            else if (clause.StartsWith("query:", StringComparison.Ordinal)) result.Add(new("query", clause["query:".Length..]));
            else result.Add(new(clause, ""));
        }
        return result;
    }

    /// <summary>Whether <paramref name="e"/> passes this clause.</summary>
    public bool Matches(SerfEvent e)
    {
        if (Event == "*") return true;
        return e switch
        {
            MemberEventRecord m => Event == AgentEventNames.Of(m.Type),
            UserEventRecord u => Event == "user" && (Name.Length == 0 || Name == u.Name),
            QueryEventRecord q => Event == "query" && (Name.Length == 0 || Name == q.Name),
            _ => false,
        };
    }
}

/// <summary>Serf's names for events, as scripts, streams and logs show them.</summary>
public static class AgentEventNames
{
    /// <summary>The name of a member event type ("member-join", ...).</summary>
    public static string Of(MemberEventType type) => type switch
    {
        MemberEventType.Join => "member-join",
        MemberEventType.Leave => "member-leave",
        MemberEventType.Failed => "member-failed",
        MemberEventType.Update => "member-update",
        MemberEventType.Reap => "member-reap",
        _ => "unknown",
    };

    /// <summary>The event type name of any serf event ("member-join", "user", "query").</summary>
    public static string Of(SerfEvent e) => e switch
    {
        MemberEventRecord m => Of(m.Type),
        UserEventRecord => "user",
        QueryEventRecord => "query",
        _ => "unknown",
    };

    /// <summary>A member status as serf prints it ("alive", "leaving", "left", "failed", "none").</summary>
    public static string Of(MemberStatus status) => status switch
    {
        MemberStatus.Alive => "alive",
        MemberStatus.Leaving => "leaving",
        MemberStatus.Left => "left",
        MemberStatus.Failed => "failed",
        _ => "none",
    };

    /// <summary>The one-line description serf logs for a received event ("member-join: alpha", "user-event: deploy").</summary>
    public static string Describe(SerfEvent e) => e switch
    {
        MemberEventRecord m => $"{Of(m.Type)}: {m.Member.Name}",
        UserEventRecord u => $"user-event: {u.Name}",
        QueryEventRecord q => $"query: {q.Name}",
        _ => e.ToString() ?? "event",
    };
}
