namespace Meshwork.Tars;

/// <summary>
/// Handles one TARS function: read the arguments from <see cref="TarsServerCallContext.Arguments"/>, run the
/// implementation, write the return value and out-parameters to <see cref="TarsServerCallContext.Results"/>. Throw
/// <see cref="TarsException"/> to answer a specific <c>iRet</c>; a <see cref="TarsDecodeException"/> answers -1, a
/// <see cref="Meshwork.Rpc.RpcException"/> its mapped code, anything else -99.
/// </summary>
/// <param name="context">The call.</param>
/// <returns>Completes when the results are written.</returns>
public delegate ValueTask TarsHandler(TarsServerCallContext context);

/// <summary>
/// The functions of one TARS object (servant) bound to their handlers. Generated dispatchers build these; hand-written
/// services can too. <c>tars_ping</c> is answered by the server for every object and need not be added.
/// </summary>
public sealed class TarsServiceDefinition
{
    private readonly Dictionary<string, TarsHandler> _functions = new(StringComparer.Ordinal);

    /// <summary>An empty definition for <paramref name="objectName"/> (e.g. <c>MeshTest.EchoServer.EchoObj</c>).</summary>
    /// <param name="objectName">The TARS object name; what clients put in <c>sServantName</c> and registries resolve.</param>
    public TarsServiceDefinition(string objectName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectName);
        ObjectName = objectName;
    }

    /// <summary>The TARS object name.</summary>
    public string ObjectName { get; }

    /// <summary>Names of the functions added so far.</summary>
    public IEnumerable<string> Functions => _functions.Keys;

    /// <summary>Binds <paramref name="function"/> to <paramref name="handler"/>.</summary>
    /// <param name="function">The function name as in the IDL.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>This definition.</returns>
    /// <exception cref="ArgumentException">The function is already bound, or is <c>tars_ping</c>.</exception>
    public TarsServiceDefinition Add(string function, TarsHandler handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(function);
        ArgumentNullException.ThrowIfNull(handler);
        if (function == TarsKeys.Ping) throw new ArgumentException("tars_ping is answered by the server itself", nameof(function));
        if (!_functions.TryAdd(function, handler)) throw new ArgumentException($"function {ObjectName}.{function} is bound twice", nameof(function));
        return this;
    }

    internal bool TryGetHandler(string function, out TarsHandler handler) => _functions.TryGetValue(function, out handler!);
}
