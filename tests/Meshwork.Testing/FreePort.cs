using System.Net;
using System.Net.Sockets;

namespace Meshwork.Testing;

/// <summary>Free loopback ports for processes the tests start (which must be told a port before they bind).</summary>
public static class FreePort
{
    // Read once: the kernel's range does not change under a test run.
    private static readonly (int First, int Last)? s_belowEphemeralRange = BelowEphemeralRange();

    /// <summary>
    /// A port free for both TCP and UDP on 127.0.0.1 (gossip binds both). Another process can still take it before
    /// the caller binds it, so starters retry with a new port when binding fails.
    /// On Linux the port is drawn below the kernel's ephemeral range: the kernel never gives such a port to an outgoing
    /// connection, so a port that a test binds, releases and binds again (a restarted node) cannot be taken in between
    /// by a connection of a test running in parallel (seen as "Address already in use" under a full test run).
    /// </summary>
    public static int TcpAndUdp()
    {
        if (s_belowEphemeralRange is { } range)
        {
            for (var i = 0; i < 200; i++)
            {
                int port = Random.Shared.Next(range.First, range.Last + 1);
                if (IsFree(port)) return port;
            }
        }
        for (var i = 0; i < 50; i++)
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var port = ((IPEndPoint)tcp.LocalEndPoint!).Port;
            try
            {
                using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP only: try another.
            }
        }
        throw new InvalidOperationException("no loopback port free for both TCP and UDP after 50 tries");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            tcp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Ports from 10000 up to just below the kernel's ephemeral range, or null where that range is unknown
    /// or leaves fewer than 1000 ports below it.</summary>
    private static (int First, int Last)? BelowEphemeralRange()
    {
        const int First = 10000;
        try
        {
            var fields = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            int last = int.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture) - 1;
            return last - First >= 1000 ? (First, last) : null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }
}
