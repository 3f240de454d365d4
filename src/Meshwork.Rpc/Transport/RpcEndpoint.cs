using System.Net;
using System.Net.Sockets;

namespace Meshwork.Rpc.Transport;

/// <summary>
/// Where a server listens or a client connects: <c>tcp://host:port</c>, <c>host:port</c>, or <c>unix:///path/to.sock</c>.
/// </summary>
public sealed record RpcEndpoint
{
    private RpcEndpoint(EndPoint endPoint, string display)
    {
        EndPoint = endPoint;
        Display = display;
    }

    /// <summary>The socket address (IP, DNS name or Unix socket path).</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The address as written in configuration and messages, e.g. <c>127.0.0.1:7000</c> or <c>unix:///run/x.sock</c>.</summary>
    public string Display { get; }

    /// <summary>True for a Unix domain socket.</summary>
    public bool IsUnixSocket => EndPoint is UnixDomainSocketEndPoint;

    /// <summary>A TCP endpoint at <paramref name="endPoint"/>.</summary>
    public static RpcEndpoint Tcp(IPEndPoint endPoint) => new(endPoint, endPoint.ToString());

    /// <summary>A TCP endpoint; <paramref name="host"/> is an IP address, <c>localhost</c>, or a DNS name resolved on connect.</summary>
    public static RpcEndpoint Tcp(string host, int port)
    {
        if (!IPAddress.TryParse(host, out var ip))
        {
            if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)) ip = IPAddress.Loopback;
            else return new RpcEndpoint(new DnsEndPoint(host, port), $"{host}:{port}");
        }
        return Tcp(new IPEndPoint(ip, port));
    }

    /// <summary>A Unix domain socket at <paramref name="path"/>.</summary>
    public static RpcEndpoint Unix(string path) => new(new UnixDomainSocketEndPoint(path), "unix://" + path);

    /// <summary>Parses an address; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static RpcEndpoint Parse(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        if (address.StartsWith("unix://", StringComparison.OrdinalIgnoreCase))
        {
            string path = address["unix://".Length..];
            if (path.Length == 0) throw new FormatException($"'{address}': unix socket address needs a path, e.g. unix:///tmp/meshwork.sock");
            return Unix(path);
        }
        string rest = address.StartsWith("tcp://", StringComparison.OrdinalIgnoreCase) ? address["tcp://".Length..] : address;
        rest = rest.TrimEnd('/');
        int colon = rest.LastIndexOf(':');
        if (colon <= 0 || colon == rest.Length - 1)
        {
            throw new FormatException($"'{address}': expected host:port, tcp://host:port or unix:///path");
        }
        string host = rest[..colon].Trim('[', ']');
        if (!int.TryParse(rest[(colon + 1)..], out int port) || port is < 0 or > 65535)
        {
            throw new FormatException($"'{address}': port must be a number between 0 and 65535");
        }
        return Tcp(host, port);
    }

    /// <summary>Same as <see cref="Display"/>.</summary>
    public override string ToString() => Display;
}
