using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Gateway;

/// <summary>
/// The methods the gateway exposes, each with the JSON metadata of its messages. Add the descriptors of a contract
/// (generated <c>{Service}Descriptors</c> fields, or hand-written <see cref="Method{TRequest, TResponse}"/>s); unary,
/// one-way and server-streaming methods can be served over a POST, client and duplex streams cannot.
/// </summary>
public sealed class GatewayMethods
{
    private readonly Dictionary<(string Service, string Method), GatewayMethod> _methods = new();

    /// <summary>A table whose messages are read and written with <paramref name="json"/>, which needs a <see cref="JsonSerializerOptions.TypeInfoResolver"/>.</summary>
    public GatewayMethods(JsonSerializerOptions json)
    {
        ArgumentNullException.ThrowIfNull(json);
        if (json.TypeInfoResolver is null) throw new ArgumentException("JsonSerializerOptions.TypeInfoResolver must be set (for example to a source-generated JsonSerializerContext)", nameof(json));
        json.MakeReadOnly();
        Json = json;
    }

    /// <summary>The JSON settings of the messages.</summary>
    public JsonSerializerOptions Json { get; }

    /// <summary>The registered methods, ordered by service and name.</summary>
    internal IEnumerable<GatewayMethod> All => _methods.Values.OrderBy(m => m.Service, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal);

    /// <summary>Number of methods.</summary>
    public int Count => _methods.Count;

    /// <summary>Exposes <paramref name="method"/>.</summary>
    /// <exception cref="ArgumentException">The method streams requests, is already added, or its messages have no JSON metadata.</exception>
    public GatewayMethods Add<TRequest, TResponse>(Method<TRequest, TResponse> method)
    {
        ArgumentNullException.ThrowIfNull(method);
        if (method.Kind is CallKind.ClientStreaming or CallKind.DuplexStreaming)
        {
            throw new ArgumentException($"{method.FullName} streams requests ({method.Kind}); the gateway serves unary, one-way and server-streaming methods only");
        }
        var gatewayMethod = new GatewayMethod<TRequest, TResponse>(method, Info<TRequest>(method), Info<TResponse>(method));
        if (!_methods.TryAdd((method.Service, method.Name), gatewayMethod)) throw new ArgumentException($"{method.FullName} is added twice");
        return this;
    }

    private JsonTypeInfo<T> Info<T>(object method) =>
        Json.TryGetTypeInfo(typeof(T), out var info) && info is JsonTypeInfo<T> typed
            ? typed
            : throw new ArgumentException($"the gateway's JSON settings have no metadata for {typeof(T).FullName} (used by {method}); add it to the JsonSerializerContext");

    internal GatewayMethod? Find(string service, string method) => _methods.GetValueOrDefault((service, method));

    internal IEnumerable<string> Names => All.Select(m => m.Service + "/" + m.Name);
}
