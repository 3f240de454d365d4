using System.Net;
using Meshwork.Gossip;

namespace Meshwork.Serf;

/// <summary>Name-conflict resolution through the <c>_serf_conflict</c> query.</summary>
public sealed partial class SerfNode
{
    private int _resolving;

    private sealed class ConflictHook(SerfNode owner) : IConflictDelegate
    {
        public void NotifyConflict(Node existing, Node other)
        {
            if (existing.Name != owner.Name) { return; }
            if (Interlocked.Exchange(ref owner._resolving, 1) == 1) { return; }
            SerfLog.NameConflict(owner._log, other.EndPoint);
            _ = Task.Run(() => owner.ResolveConflictAsync(other.EndPoint));
        }
    }

    /// <summary>Asks the cluster who owns our name; shuts down if the majority says it is the other address.</summary>
    private async Task ResolveConflictAsync(IPEndPoint other)
    {
        try
        {
            var me = _gossip.LocalNode.EndPoint;
            var response = Query("_serf_conflict", System.Text.Encoding.UTF8.GetBytes(Name));
            var answers = await response.CollectAsync().ConfigureAwait(false);
            var matching = 0;
            var responses = 0;
            foreach (var a in answers)
            {
                if (a.Payload.Length < 2 || a.Payload[0] != (byte)Wire.SerfMessageType.ConflictResponse) { continue; }
                IPEndPoint? ep;
                try { ep = Wire.SerfCodec.DecodeMemberEndPoint(a.Payload.AsSpan(1)); }
                catch (Exception e) when (e is Meshwork.Gossip.Wire.WireFormatException or OverflowException)
                {
                    MalformedInput.Report(null, new(SerfMalformedInputKinds.Response, $"conflict response from '{a.From}': {e.Message}"));
                    continue;
                }
                responses++;
                if (ep is not null && ep.Equals(me)) { matching++; }
            }
            // serf's rule: stay only with a strict majority of matching answers (so also quit when nobody answered).
            var lost = matching < responses / 2 + 1;
            lock (_gossip.StateLock) { _core.EmitConflict(new NameConflictRecord(Name, other, responses, matching, lost)); }
            if (lost) { SerfLog.ConflictLost(_log, matching, responses); }
            else { SerfLog.ConflictWon(_log, matching, responses); }
            if (lost)
            {
                // Like the agent: stop gossiping (no leave) so the rightful owner keeps the name.
                await _gossip.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            SerfLog.ConflictFailed(_log, e);
        }
        finally
        {
            Interlocked.Exchange(ref _resolving, 0);
        }
    }
}
