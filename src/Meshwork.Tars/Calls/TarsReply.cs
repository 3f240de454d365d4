namespace Meshwork.Tars;

/// <summary>
/// The successful reply of a TARS call: return value and out-parameters in <see cref="Results"/>, plus the reply's
/// context and status maps. (A non-zero <c>iRet</c> never becomes a reply: the invoker throws
/// <see cref="Meshwork.Rpc.RpcException"/> instead.)
/// </summary>
public sealed class TarsReply
{
    /// <summary>Creates a reply.</summary>
    /// <param name="results">The decoded parameters.</param>
    /// <param name="context">The reply's <c>context</c> map.</param>
    /// <param name="status">The reply's <c>status</c> map.</param>
    public TarsReply(TarsParameters results, IReadOnlyDictionary<string, string> context, IReadOnlyDictionary<string, string> status)
    {
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(status);
        Results = results;
        Context = context;
        Status = status;
    }

    /// <summary>Return value (<see cref="TarsParameters.ReadReturn{T}"/>) and out-parameters (<see cref="TarsParameters.Read{T}"/>).</summary>
    public TarsParameters Results { get; }

    /// <summary>The reply's <c>context</c> map.</summary>
    public IReadOnlyDictionary<string, string> Context { get; }

    /// <summary>The reply's <c>status</c> map.</summary>
    public IReadOnlyDictionary<string, string> Status { get; }
}
