namespace Meshwork.Rpc;

/// <summary>
/// Marks an interface as a Meshwork service contract. The source generator emits a client proxy
/// (<c>{Interface}Client</c>, minus a leading I) and a server binder (<c>{Interface}Dispatcher.Bind(impl)</c>).
/// </summary>
[AttributeUsage(AttributeTargets.Interface, Inherited = false)]
public sealed class RpcServiceAttribute : Attribute
{
    /// <summary>Marks the interface; <paramref name="name"/> overrides the service name on the wire.</summary>
    public RpcServiceAttribute(string? name = null) => Name = name;

    /// <summary>Service name on the wire; defaults to the interface name without a leading I.</summary>
    public string? Name { get; }
}

/// <summary>Optional per-method settings for a contract method.</summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class RpcMethodAttribute : Attribute
{
    /// <summary>Method name on the wire; defaults to the C# name without an Async suffix.</summary>
    public string? Name { get; set; }

    /// <summary>Fire-and-forget: the method returns Task/ValueTask, and no response is sent.</summary>
    public bool OneWay { get; set; }

    /// <summary>Safe to retry (retry policies only retry idempotent methods unless told otherwise).</summary>
    public bool Idempotent { get; set; }
}
