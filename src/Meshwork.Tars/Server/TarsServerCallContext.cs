using Meshwork.Rpc.Server;

namespace Meshwork.Tars;

/// <summary>
/// One TARS call on the server: the request packet's fields, the decoded arguments, the results to fill in, and the
/// Meshwork <see cref="ServerCallContext"/> the call runs under (cancellation, deadline, middleware items).
/// </summary>
public sealed class TarsServerCallContext
{
    internal TarsServerCallContext(TarsRequestPacket request, TarsParameters arguments, TarsParameterWriter results, ServerCallContext rpc)
    {
        Request = request;
        Arguments = arguments;
        Results = results;
        RpcContext = rpc;
    }

    internal TarsRequestPacket Request { get; }

    /// <summary>The TARS object name the client addressed (<c>sServantName</c>).</summary>
    public string ServantName => Request.ServantName;

    /// <summary>The function (<c>sFuncName</c>).</summary>
    public string FunctionName => Request.FunctionName;

    /// <summary>The wire version (1 TARS, 2/3 TUP).</summary>
    public short Version => Request.Version;

    /// <summary>True for one-way calls: nothing is sent back whatever the handler does.</summary>
    public bool IsOneWay => Request.PacketType == TarsPacketType.OneWay;

    /// <summary>The client's request id.</summary>
    public int RequestId => Request.RequestId;

    /// <summary><c>iMessageType</c> flags of the request.</summary>
    public int MessageType => Request.MessageType;

    /// <summary>The client's timeout in milliseconds (<c>iTimeout</c>; 0 = none).</summary>
    public int TimeoutMilliseconds => Request.Timeout;

    /// <summary>The request's <c>context</c> map.</summary>
    public IReadOnlyDictionary<string, string> RequestContext => Request.Context;

    /// <summary>The request's <c>status</c> map.</summary>
    public IReadOnlyDictionary<string, string> RequestStatus => Request.Status;

    /// <summary>Entries for the reply's <c>context</c> map.</summary>
    public IDictionary<string, string> ResponseContext => _responseContext ??= new Dictionary<string, string>(StringComparer.Ordinal);

    internal Dictionary<string, string>? ResponseContextIfAny => _responseContext;

    private Dictionary<string, string>? _responseContext;

    /// <summary>The arguments (by tag for v1, by name for TUP).</summary>
    public TarsParameters Arguments { get; }

    /// <summary>Where the handler writes the return value and out-parameters.</summary>
    public TarsParameterWriter Results { get; }

    /// <summary>The Meshwork call context (middleware, items, deadline).</summary>
    public ServerCallContext RpcContext { get; }

    /// <summary>Fires when the client's <c>iTimeout</c> passes or the server stops.</summary>
    public CancellationToken CancellationToken => RpcContext.CancellationToken;

    /// <summary>The remote address.</summary>
    public string Peer => RpcContext.Peer;

    /// <summary>
    /// The certificate the client presented on an ssl endpoint (mutual TLS, <see cref="TarsServerTlsOptions.ClientCertificateRequired"/>),
    /// already accepted by the handshake; null over tcp and udp or when the client sent none. Only here: the Meshwork
    /// <see cref="Meshwork.Rpc.Server.ServerCallContext.ClientCertificate"/> of a TARS call stays null.
    /// </summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; internal init; }
}
