namespace Meshwork.Rpc.Protocol;

/// <summary>
/// Shape of a call, sent in the request header (key 9) so the server can check it against the method. The one public
/// type of the protocol namespace: call descriptors (<see cref="Method{TRequest, TResponse}"/>) and generated code name it.
/// </summary>
public enum CallKind : byte
{
    /// <summary>One request, one response.</summary>
    Unary = 0,
    /// <summary>One request, a stream of responses.</summary>
    ServerStreaming = 1,
    /// <summary>A stream of requests, one response.</summary>
    ClientStreaming = 2,
    /// <summary>Streams in both directions, ended by the server's status.</summary>
    DuplexStreaming = 3,
    /// <summary>One request and no response at all (fire and forget).</summary>
    OneWay = 4,
}
