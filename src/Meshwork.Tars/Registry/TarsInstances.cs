using System.Globalization;
using Meshwork.Discovery;

namespace Meshwork.Tars;

/// <summary>
/// How TARS endpoints live in a Meshwork registry: a <see cref="ServiceInstance"/> whose service name is the TARS object
/// name, whose address is <c>host:port</c>, and whose metadata says <c>protocol=tars</c> and carries the full endpoint
/// (<c>tars.endpoint</c>), so the name service can publish it and native Meshwork clients can tell it apart.
/// </summary>
public static class TarsInstances
{
    /// <summary>Metadata key naming the wire protocol of an instance.</summary>
    public const string ProtocolKey = "protocol";

    /// <summary>The <see cref="ProtocolKey"/> value of TARS instances.</summary>
    public const string ProtocolValue = "tars";

    /// <summary>Metadata key holding the endpoint in TARS syntax (<c>tcp -h … -p … -t …</c>).</summary>
    public const string EndpointKey = "tars.endpoint";

    /// <summary>The registry record of a TARS object served at <paramref name="endpoint"/>.</summary>
    /// <param name="objectName">The TARS object name.</param>
    /// <param name="endpoint">Where it is served (a bound <see cref="TarsServer.Endpoint"/>; <c>0.0.0.0</c> must be replaced by a reachable host first).</param>
    /// <returns>The instance to register.</returns>
    /// <exception cref="ArgumentException">The endpoint's host is a wildcard address, which no client can dial.</exception>
    public static ServiceInstance Create(string objectName, TarsEndpoint endpoint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(objectName);
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Host is "0.0.0.0" or "::" or "*")
            throw new ArgumentException($"endpoint {endpoint} has a wildcard host; register the address clients should dial", nameof(endpoint));
        return new ServiceInstance(objectName, endpoint.Host + ":" + endpoint.Port.ToString(CultureInfo.InvariantCulture))
        {
            Weight = endpoint.Weight > 0 ? endpoint.Weight : 100,
            Metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ProtocolKey] = ProtocolValue,
                [EndpointKey] = endpoint.ToString(),
            },
        };
    }

    /// <summary>The TARS endpoint of a registry instance, or null when the instance is not a TARS one.</summary>
    /// <param name="instance">The instance.</param>
    /// <returns>The endpoint, or null.</returns>
    public static TarsEndpoint? ToEndpoint(ServiceInstance instance)
    {
        ArgumentNullException.ThrowIfNull(instance);
        if (!instance.Metadata.TryGetValue(ProtocolKey, out var protocol) || protocol != ProtocolValue) return null;
        if (instance.Metadata.TryGetValue(EndpointKey, out var text))
        {
            try
            {
                return TarsEndpoint.Parse(text);
            }
            catch (TarsProxyFormatException)
            {
                // fall back to the address below
            }
        }
        string address = instance.Address;
        int scheme = address.IndexOf("://", StringComparison.Ordinal);
        if (scheme >= 0) address = address[(scheme + 3)..];
        int colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535) return null;
        return new TarsEndpoint(TarsTransport.Tcp, address[..colon].Trim('[', ']'), port);
    }
}
