using System.Runtime.CompilerServices;

namespace Meshwork.Rpc.Diagnostics;

/// <summary>Which message of a call a size was measured on, and on which side.</summary>
public enum MessageFlow : byte
{
    /// <summary>A request message a client sent.</summary>
    ClientRequest,

    /// <summary>A response message a client received.</summary>
    ClientResponse,

    /// <summary>A request message a server received.</summary>
    ServerRequest,

    /// <summary>A response message a server sent.</summary>
    ServerResponse,
}

/// <summary>Receives the body size of every message clients and servers of this process send and receive.</summary>
public interface IMessageSizeObserver
{
    /// <summary>
    /// Called on the sending or reading path of every message with its body size in bytes as framed (after
    /// compression, when the body was compressed). Must be quick, must not throw, and must not keep
    /// <paramref name="fullMethod"/>-derived state unbounded: it runs inline on the RPC hot path.
    /// </summary>
    /// <param name="flow">Request or response, client or server side.</param>
    /// <param name="fullMethod"><c>Service/Method</c> of the call.</param>
    /// <param name="bytes">Body size in bytes (0 for an empty message).</param>
    void OnMessage(MessageFlow flow, string fullMethod, int bytes);
}

/// <summary>
/// The process-wide hook through which a metrics layer (Meshwork.Diagnostics) learns message sizes. Without an
/// observer each message costs one static read and a null check; the RPC core allocates nothing for it either way.
/// </summary>
public static class MessageSizes
{
    private static IMessageSizeObserver? s_observer;

    /// <summary>The observer called for every message; null (the default) records nothing.</summary>
    public static IMessageSizeObserver? Observer
    {
        get => Volatile.Read(ref s_observer);
        set => Volatile.Write(ref s_observer, value);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Report(MessageFlow flow, string fullMethod, long bytes)
    {
        var observer = s_observer;
        if (observer is not null) observer.OnMessage(flow, fullMethod, (int)bytes);
    }
}
