using System.Globalization;
using System.Net;

namespace Meshwork.Gossip.Transport;

/// <summary>
/// The default <see cref="IAddressResolver"/>: an IP literal is used as is; a name is looked up with the system
/// resolver (<c>/etc/hosts</c>, then DNS) on every call, and every address it returns becomes an endpoint.
/// </summary>
public sealed class DnsAddressResolver : IAddressResolver
{
    /// <summary>The shared instance (stateless).</summary>
    public static DnsAddressResolver Instance { get; } = new();

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<IPEndPoint>> ResolveAsync(string address, int defaultPort, CancellationToken cancellationToken)
    {
        var (host, port, literal) = Split(address, defaultPort);
        if (literal is not null) { return [literal]; }
        var ips = await Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
        if (ips.Length == 0) { throw new FormatException($"'{host}' resolves to no address"); }
        return ips.Select(ip => new IPEndPoint(ip, port)).ToList();
    }

    /// <summary>
    /// Splits <c>host[:port]</c> (IPv6 literals in brackets) into host and port, defaulting the port; for an IP literal
    /// also returns the endpoint, so a custom resolver only has to handle names.
    /// </summary>
    /// <exception cref="FormatException">Empty address, or a port that is not 1..65535.</exception>
    public static (string Host, int Port, IPEndPoint? Literal) Split(string address, int defaultPort)
    {
        if (string.IsNullOrWhiteSpace(address)) { throw new FormatException("the address is empty"); }
        if (defaultPort is < 0 or > 65535) { throw new FormatException($"default port {defaultPort} is out of range"); }
        if (IPEndPoint.TryParse(address, out var ep))
        {
            if (ep.Port == 0 && !address.EndsWith(":0", StringComparison.Ordinal)) { ep.Port = defaultPort; }
            return (ep.Address.ToString(), ep.Port, ep);
        }
        var host = address;
        var port = defaultPort;
        var colon = address.LastIndexOf(':');
        if (colon > 0 && !address.Contains(']', StringComparison.Ordinal) && address.IndexOf(':') == colon)
        {
            host = address[..colon];
            if (!int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
            {
                throw new FormatException($"'{address}' has an invalid port");
            }
        }
        return (host, port, null);
    }
}
