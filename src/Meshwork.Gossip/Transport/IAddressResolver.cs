using System.Net;

namespace Meshwork.Gossip.Transport;

/// <summary>
/// Turns a join address (<c>host[:port]</c>: an IP or a name) into endpoints. Callers ask again at every join attempt
/// (start join, retry-join, a join over the control API), never caching an answer, so a seed whose name moves to
/// another address is found at the next attempt. The default is <see cref="DnsAddressResolver"/>; plug in another one
/// for service registries or tests.
/// </summary>
public interface IAddressResolver
{
    /// <summary>Resolves <paramref name="address"/>; without a port in it, <paramref name="defaultPort"/> is used.</summary>
    /// <returns>At least one endpoint.</returns>
    /// <exception cref="FormatException">The address is malformed or resolves to nothing.</exception>
    /// <exception cref="System.Net.Sockets.SocketException">The name could not be resolved.</exception>
    ValueTask<IReadOnlyList<IPEndPoint>> ResolveAsync(string address, int defaultPort, CancellationToken cancellationToken);
}
