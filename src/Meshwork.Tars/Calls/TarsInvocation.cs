namespace Meshwork.Tars;

/// <summary>
/// The request of a TARS call as it travels through a <see cref="Meshwork.Rpc.Client.CallInvoker"/>: the in-parameters
/// and the call's <c>context</c> map. The servant and function names come from the
/// <see cref="Meshwork.Rpc.Method{TRequest, TResponse}"/> (see <see cref="TarsMethods"/>).
/// </summary>
public sealed class TarsInvocation
{
    /// <summary>Creates the request.</summary>
    /// <param name="arguments">The in-parameters; null for a function without any.</param>
    public TarsInvocation(ITarsArguments? arguments = null) => Arguments = arguments;

    /// <summary>The in-parameters; null when there are none.</summary>
    public ITarsArguments? Arguments { get; }

    /// <summary>Business key/values sent in the request's <c>context</c> map (null = empty).</summary>
    public IReadOnlyDictionary<string, string>? Context { get; init; }

    /// <summary>Framework key/values sent in the request's <c>status</c> map (null = empty).</summary>
    public IReadOnlyDictionary<string, string>? Status { get; init; }

    /// <summary><c>iMessageType</c> flags (dyeing, trace, ...); default 0.</summary>
    public int MessageType { get; init; }
}
