using System.Globalization;

namespace Meshwork.Discovery.ZooKeeper.Client;

/// <summary>One server of a connect string.</summary>
internal readonly record struct ZooKeeperHost(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// Parses ZooKeeper connect strings: <c>host:port,host:port</c>, port 2181 when omitted, IPv6 hosts in brackets.
/// A chroot suffix (<c>/path</c>) is refused with a pointer to <see cref="ZooKeeperDiscoveryOptions.Root"/>, which
/// does the same job explicitly.
/// </summary>
internal static class ConnectStringParser
{
    /// <summary>ZooKeeper's client port when a host names none.</summary>
    public const int DefaultPort = 2181;

    /// <exception cref="FormatException">The string is empty or a host or port is malformed; the message says which.</exception>
    public static IReadOnlyList<ZooKeeperHost> Parse(string? connectString)
    {
        if (string.IsNullOrWhiteSpace(connectString)) throw new FormatException("the connect string is empty; expected host:port[,host:port...]");
        if (connectString.Contains('/', StringComparison.Ordinal))
        {
            throw new FormatException($"'{connectString}' has a chroot suffix; put the path in Root instead and list only host:port pairs");
        }
        var hosts = new List<ZooKeeperHost>();
        foreach (var raw in connectString.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0) throw new FormatException($"'{connectString}' has an empty entry");
            string host;
            string? port = null;
            if (raw.StartsWith('['))
            {
                int close = raw.IndexOf(']', StringComparison.Ordinal);
                if (close < 2) throw new FormatException($"'{raw}' is not a bracketed IPv6 host such as [::1]:2181");
                host = raw[1..close];
                var rest = raw[(close + 1)..];
                if (rest.Length > 0)
                {
                    if (rest[0] != ':') throw new FormatException($"'{raw}' has text after the bracketed host that is not :port");
                    port = rest[1..];
                }
            }
            else
            {
                int colon = raw.LastIndexOf(':');
                if (colon >= 0 && raw.IndexOf(':', StringComparison.Ordinal) != colon)
                {
                    throw new FormatException($"'{raw}' looks like an IPv6 address; write it in brackets, e.g. [::1]:2181");
                }
                host = colon < 0 ? raw : raw[..colon];
                if (colon >= 0) port = raw[(colon + 1)..];
            }
            if (host.Length == 0 || host.Any(char.IsWhiteSpace)) throw new FormatException($"'{raw}' has no valid host name");
            int p = DefaultPort;
            if (port is not null && (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out p) || p is < 1 or > 65535))
            {
                throw new FormatException($"'{raw}' has an invalid port '{port}' (1-65535)");
            }
            hosts.Add(new ZooKeeperHost(host, p));
        }
        return hosts;
    }
}
