using Meshwork.Gossip.Composite;
using Meshwork.Gossip.Wire;
using Microsoft.Extensions.Logging;

namespace Meshwork.Serf;

/// <summary>Wiring of the optional delegates: datagram codec, extra membership delegates and merge guards.</summary>
public sealed partial class SerfNode
{
    /// <summary>The version vector with the codec's announcement (memberlist protocol max) applied.</summary>
    private static void AnnounceCodec(SerfOptions options, byte[] vsn)
    {
        if (options.GossipCodec == GossipCodec.Compact && vsn[1] < CompactGossipCodec.ProtocolMax) { vsn[1] = CompactGossipCodec.ProtocolMax; }
    }

    private void WireDelegates(ILoggerFactory? loggerFactory)
    {
        var log = loggerFactory?.CreateLogger("Meshwork.Gossip.Delegates");
        if (Options.GossipCodec == GossipCodec.Compact) { _gossip.TransformDelegate = new CompactGossipCodec(); }
        if (Options.MemberEventDelegates.Count > 0)
        {
            _gossip.EventDelegate = new CompositeMemberEventDelegate([_core, .. Options.MemberEventDelegates], log);
        }
        if (Options.MergeDelegates.Count > 0)
        {
            _gossip.MergeDelegate = new CompositeMergeDelegate(Options.MergeDelegates, log);
        }
    }
}
