using System.Net;
using System.Net.Sockets;

namespace Meshwork.Testing;

/// <summary>
/// A loopback listener whose accept queue is full and never drained: the kernel answers no further handshake, so a
/// connection attempt to it stays pending until its own timeout or cancellation (for tests of connect timeouts and of
/// cancellation while connecting).
/// </summary>
public sealed class SilentListener : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    private SilentListener(Socket listener, int port)
    {
        _listener = listener;
        Port = port;
    }

    /// <summary>The port a connection attempt stays pending on.</summary>
    public int Port { get; }

    /// <summary>Binds a listener with the smallest backlog and connects to it until one more connection stays pending.</summary>
    public static async Task<SilentListener> StartAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(0);
        var listener = new SilentListener(socket, ((IPEndPoint)socket.LocalEndPoint!).Port);
        try
        {
            while (true)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listener._fillers.Add(filler);
                using var attempt = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
                try
                {
                    await filler.ConnectAsync(new IPEndPoint(IPAddress.Loopback, listener.Port), attempt.Token);
                }
                catch (OperationCanceledException)
                {
                    return listener; // this one stayed pending: the queue is full
                }
                if (listener._fillers.Count >= 64) throw new InvalidOperationException("the listener's accept queue never filled");
            }
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Closes the fillers and the listener.</summary>
    public void Dispose()
    {
        foreach (var filler in _fillers) filler.Dispose();
        _listener.Dispose();
    }
}
