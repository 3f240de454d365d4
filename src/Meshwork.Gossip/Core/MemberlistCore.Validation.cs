using System.Net;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip;

/// <summary>Receive-side validation: what breaks a peer invariant is reported and dropped, never processed.</summary>
internal sealed partial class MemberlistCore
{
    /// <summary>Counts and rate-limited logging of malformed input (shared with the layer above).</summary>
    public MalformedInputReporter Malformed { get; }

    /// <summary>Handles one message; a malformed one (or a malformed part of a compound) is reported and skipped.</summary>
    private void HandleMessageReporting(IPEndPoint from, ReadOnlyMemory<byte> msg, int depth)
    {
        try
        {
            HandleMessage(from, msg, depth);
        }
        catch (PeerInvariantException e)
        {
            Malformed.Report(e.Input);
        }
        catch (Exception e) when (e is WireFormatException or OverflowException or ArgumentException or InvalidOperationException)
        {
            Malformed.Report(new(MalformedInputKinds.Undecodable, e.Message));
        }
    }

    private static T Valid<T>(T message, MalformedInput? violation) =>
        violation is { } v ? throw new PeerInvariantException(v) : message;

    /// <summary>Checks a decoded push/pull; reports and returns false if it breaks a peer invariant.</summary>
    public bool IsValidRemote(PushPullState remote, IPEndPoint? from)
    {
        if (PeerInvariants.CheckPushPull(remote) is not { } bad) { return true; }
        Malformed.Report(from, bad);
        return false;
    }
}
