using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Wire;
using Meshwork.Serf.Wire;

namespace Meshwork.Serf;

/// <summary>
/// Receive-side validation of serf messages: decoded, checked against <see cref="SerfInvariants"/>, and reported as
/// malformed input (counted, rate-limited log) instead of being handled when they break one.
/// </summary>
internal sealed partial class SerfCore
{
    /// <summary>Where malformed serf input is reported (the member list's reporter, so counts are per node).</summary>
    public MalformedInputReporter? Malformed { get; set; }

    private void Report(MalformedInput input)
    {
        if (Malformed is { } m) { m.Report(input); }
        else { SerfLog.Dropped(_log, input.Kind, input.Detail); }
    }

    /// <summary>Decodes a serf body; on a decode error or an invariant violation reports it and returns false.</summary>
    private bool TryDecode<T>(ReadOnlySpan<byte> body, SerfCodec.BodyReader<T> read, Func<T, MalformedInput?> check, out T message)
    {
        try
        {
            message = SerfCodec.Decode(body, read);
        }
        catch (Exception e) when (e is WireFormatException or OverflowException)
        {
            Report(new(SerfMalformedInputKinds.Undecodable, e.Message));
            message = default!;
            return false;
        }
        if (check(message) is { } bad)
        {
            Report(bad);
            return false;
        }
        return true;
    }

    /// <summary>Query parameters from the API: no empty node names or tag names in filters.</summary>
    private static void EnsureSendable(QueryParams p)
    {
        if (p.FilterNodes.Any(string.IsNullOrEmpty)) { throw new ArgumentException("QueryParams.FilterNodes contains an empty node name"); }
        foreach (var (tag, expr) in p.FilterTags)
        {
            if (string.IsNullOrEmpty(tag)) { throw new ArgumentException("QueryParams.FilterTags contains an empty tag name"); }
            if (expr is null) { throw new ArgumentException($"QueryParams.FilterTags['{tag}'] has no expression"); }
        }
    }

    /// <summary>Our own query must pass the same checks we apply to peers' queries.</summary>
    private static void EnsureSendable(QueryMessage q)
    {
        if (SerfInvariants.CheckQuery(q) is { } bad) { throw new ArgumentException($"query '{q.Name}' would break serf peers: {bad.Detail}"); }
    }
}
