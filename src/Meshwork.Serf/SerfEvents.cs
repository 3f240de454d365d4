namespace Meshwork.Serf;

/// <summary>Base of everything delivered on <see cref="SerfNode.Events"/>.</summary>
public abstract record SerfEvent;

/// <summary>Kinds of member events (names as printed by serf).</summary>
public enum MemberEventType
{
    /// <summary>A member joined (or came back).</summary>
    Join,

    /// <summary>A member left gracefully.</summary>
    Leave,

    /// <summary>A member failed (declared dead without leaving).</summary>
    Failed,

    /// <summary>A member changed its tags.</summary>
    Update,

    /// <summary>A failed or left member was erased after its reconnect or tombstone timeout.</summary>
    Reap,
}

/// <summary>A member changed.</summary>
/// <param name="Type">What happened.</param>
/// <param name="Member">The member right after the change.</param>
public sealed record MemberEventRecord(MemberEventType Type, Member Member) : SerfEvent;

/// <summary>A user event (delivered once per distinct LTime/name/payload).</summary>
/// <param name="LTime">Event Lamport time.</param>
/// <param name="Name">Event name.</param>
/// <param name="Payload">Event payload.</param>
/// <param name="Coalesce">Whether the sender allowed coalescing with later events of the same name.</param>
public sealed record UserEventRecord(ulong LTime, string Name, byte[] Payload, bool Coalesce) : SerfEvent;

/// <summary>A query to answer with <see cref="RespondAsync"/> before <see cref="Deadline"/>.</summary>
/// <param name="LTime">Query Lamport time.</param>
/// <param name="Id">Random query id (with LTime, identifies the query).</param>
/// <param name="Name">Query name.</param>
/// <param name="Payload">Query payload.</param>
/// <param name="SourceNode">Name of the querying node.</param>
/// <param name="Deadline">When the querier stops collecting responses.</param>
public sealed record QueryEventRecord(ulong LTime, uint Id, string Name, byte[] Payload, string SourceNode, DateTimeOffset Deadline) : SerfEvent
{
    internal Func<byte[], Task>? Responder { get; init; }

    /// <summary>Sends the response to the querier (once).</summary>
    public Task RespondAsync(byte[] payload) => Responder?.Invoke(payload) ?? Task.CompletedTask;
}

/// <summary>
/// Another node claimed our name. Serf resolves it with the <c>_serf_conflict</c> query: if most answers point at the
/// other address this node lost and shuts down (without leaving), like the agent does.
/// </summary>
/// <param name="Name">The contested name (ours).</param>
/// <param name="Other">Address of the other claimant.</param>
/// <param name="Responses">Conflict answers received.</param>
/// <param name="Matching">Answers that named our address.</param>
/// <param name="Lost">Whether this node lost and shut down.</param>
public sealed record NameConflictRecord(string Name, System.Net.IPEndPoint Other, int Responses, int Matching, bool Lost) : SerfEvent;
