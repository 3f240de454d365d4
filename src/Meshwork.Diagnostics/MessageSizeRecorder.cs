using System.Collections.Concurrent;
using Meshwork.Rpc.Diagnostics;

namespace Meshwork.Diagnostics;

/// <summary>
/// Records the message sizes the RPC core reports through <see cref="MessageSizes"/> on the four size histograms.
/// Installed once, when the call instruments are first used; while no listener observes a histogram it returns after
/// one flag check.
/// </summary>
internal sealed class MessageSizeRecorder : IMessageSizeObserver
{
    /// <summary>
    /// Split names kept per <c>Service/Method</c>, so that a message costs no string allocation. Bounded: peers can
    /// send calls to names that do not exist; past the bound the split is done per message.
    /// </summary>
    private const int MaxCachedNames = 1024;

    private readonly ConcurrentDictionary<string, (string Service, string Method)> _names = new(StringComparer.Ordinal);

    public void OnMessage(MessageFlow flow, string fullMethod, int bytes)
    {
        var histogram = flow switch
        {
            MessageFlow.ClientRequest => RpcInstruments.ClientRequestSize,
            MessageFlow.ClientResponse => RpcInstruments.ClientResponseSize,
            MessageFlow.ServerRequest => RpcInstruments.ServerRequestSize,
            _ => RpcInstruments.ServerResponseSize,
        };
        if (!histogram.Enabled) return;
        var (service, method) = Split(fullMethod);
        histogram.Record(bytes, RpcInstruments.CallTags(service, method));
    }

    private (string Service, string Method) Split(string fullMethod)
    {
        if (_names.TryGetValue(fullMethod, out var cached)) return cached;
        int slash = fullMethod.IndexOf('/');
        var split = slash < 0 ? (fullMethod, "") : (fullMethod[..slash], fullMethod[(slash + 1)..]);
        if (_names.Count < MaxCachedNames) _names.TryAdd(fullMethod, split);
        return split;
    }

    /// <summary>Hands the RPC core an instance (once per process; a later call keeps the first).</summary>
    public static bool Install()
    {
        if (MessageSizes.Observer is not MessageSizeRecorder) MessageSizes.Observer = new MessageSizeRecorder();
        return true;
    }
}
