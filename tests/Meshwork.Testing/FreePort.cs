using System.Net;
using System.Net.Sockets;

namespace Meshwork.Testing;

/// <summary>Free loopback ports for processes the tests start (which must be told a port before they bind).</summary>
public static class FreePort
{
    /// <summary>
    /// A port free for both TCP and UDP on 127.0.0.1 (gossip binds both). Another process can still take it before
    /// the caller binds it, so starters retry with a new port when binding fails.
    /// </summary>
    public static int TcpAndUdp()
    {
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
}
