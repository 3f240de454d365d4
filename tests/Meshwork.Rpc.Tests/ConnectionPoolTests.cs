using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using Meshwork.Rpc.Transport;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// The pool's flag for "every slot has a connection": a caller whose continuation runs on a read loop stays on that
/// connection only once every slot is open; until then, and again while a slot is being replaced, its calls go round
/// the slots, so that one caller making its calls one after another opens (and reopens) the configured connections.
/// </summary>
public class ConnectionPoolTests
{
    private static readonly Method<string, string> Who = new("Pool", "Who", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    /// <summary>Answers with the server's view of the connection the call came on, so callers can tell connections apart.</summary>
    private static ServiceDefinition PoolService() => new ServiceDefinition("Pool")
        .AddUnary(Who, (_, ctx) => new ValueTask<string>(ctx.Peer));

    /// <summary>Calls made one after another, each started from the continuation of the one before (which, with inline
    /// completions, runs on the read loop of the connection that answered); a failed call is recorded and the next one made.</summary>
    private static Task<List<(bool OnReadLoop, string? Peer, RpcException? Error)>> CallOneAfterAnotherAsync(RpcChannel channel, int calls) =>
        Task.Run(async () =>
        {
            var seen = new List<(bool, string?, RpcException?)>();
            for (int i = 0; i < calls; i++)
            {
                bool onReadLoop = ClientConnection.CurrentReadLoop is not null;
                try
                {
                    seen.Add((onReadLoop, await channel.UnaryAsync(Who, "").ConfigureAwait(false), null));
                }
                catch (RpcException ex)
                {
                    seen.Add((onReadLoop, null, ex));
                }
            }
            return seen;
        });

    [Fact]
    public async Task A_caller_making_calls_one_after_another_from_read_loops_opens_every_slot_then_stays_on_one()
    {
        const int Slots = 3;
        await using var f = await ServerFixture.StartAsync(
            client: o =>
            {
                o.ConnectionsPerEndpoint = Slots;
                o.CompletionDispatch = DispatchMode.Inline;
            },
            configure: s => s.AddService(PoolService()));

        var seen = await CallOneAfterAnotherAsync(f.Channel, 4 * Slots).WaitAsync(Eventually.Timeout);

        Assert.All(seen, s => Assert.Null(s.Error));
        // Every call after the first started on a read loop; while a slot had no connection they still went round the
        // slots, opening one connection per slot. Were the pool taken as open from its first connection, every call
        // would have stayed on that one.
        Assert.All(seen.Skip(1), s => Assert.True(s.OnReadLoop, "a continuation ran off the read loop"));
        Assert.Equal(Slots, seen.Select(s => s.Peer).Distinct().Count());
        Assert.Equal(Slots, f.Channel.CurrentConnections.Count());
        Assert.Equal(Slots, f.Server.ConnectionCount);
        // Once every slot was open (the last one opened by the Slots-th call), the caller stayed on its connection.
        Assert.Single(seen.Skip(Slots - 1).Select(s => s.Peer).Distinct());
    }

    [Fact]
    public async Task While_a_slot_is_being_replaced_calls_from_a_read_loop_go_round_the_slots_again()
    {
        await using var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromSeconds(5) });
        server.AddService(PoolService());
        await server.StartAsync();
        await using var proxy = new CuttableProxy(server.BoundEndpoints[0]);
        await using var channel = RpcChannel.ForEndpoint(proxy.Endpoint, new RpcClientOptions
        {
            ConnectionsPerEndpoint = 2,
            CompletionDispatch = DispatchMode.Inline,
            // One failed reconnect keeps its slot backing off for the rest of the test: calls that reach it fail fast.
            ReconnectBackoffInitial = TimeSpan.FromMinutes(10),
            ReconnectBackoffMax = TimeSpan.FromMinutes(10),
        });

        // Both slots open (two calls started together go one to each slot), then a caller settles on one connection.
        var both = await Task.WhenAll(Task.Run(() => channel.UnaryAsync(Who, "").AsTask()), Task.Run(() => channel.UnaryAsync(Who, "").AsTask()));
        Assert.Equal(2, both.Distinct().Count());
        var settled = await CallOneAfterAnotherAsync(channel, 6).WaitAsync(Eventually.Timeout);
        Assert.All(settled, s => Assert.Null(s.Error));
        Assert.Single(settled.Skip(1).Select(s => s.Peer).Distinct());

        // One connection is lost, and its slot cannot reconnect: the proxy no longer accepts.
        proxy.StopAccepting();
        proxy.CutFirst();
        await Eventually.TrueAsync(() => channel.CurrentConnections.Count(c => c.IsUsable) == 1, "the client saw one connection lost");
        // Calls from a thread that is no read loop go round the slots: one of the next two reaches the lost slot, whose
        // replacement fails and leaves the slot backing off, without a connection.
        RpcException? failed = null;
        for (int i = 0; i < 2 && failed is null; i++)
        {
            try
            {
                await Task.Run(() => channel.UnaryAsync(Who, "").AsTask());
            }
            catch (RpcException ex)
            {
                failed = ex;
            }
        }
        Assert.NotNull(failed);
        Assert.Equal(StatusCode.Unavailable, failed.Status);

        // A caller on the surviving connection's read loop is no longer kept there while the slot is being replaced:
        // its calls go round the slots and reach the one backing off, which answers at once that it is not connected.
        // Were the pool still taken as open, every call would have stayed on the surviving connection and succeeded.
        var after = await CallOneAfterAnotherAsync(channel, 6).WaitAsync(Eventually.Timeout);
        var refusedOnReadLoop = after.Where(s => s.OnReadLoop && s.Error is not null).Select(s => s.Error!).ToList();
        Assert.NotEmpty(refusedOnReadLoop);
        Assert.All(refusedOnReadLoop, e =>
        {
            Assert.Equal(StatusCode.Unavailable, e.Status);
            Assert.True(e.NotExecuted);
            Assert.Contains("next attempt in", e.Message, StringComparison.Ordinal);
        });
        Assert.Contains(after, s => s.Error is null);
    }

    /// <summary>
    /// A loopback TCP proxy that copies bytes both ways between each client it accepts and a new connection to the
    /// target; it can stop accepting (new connects are refused) and cut the first connection it accepted.
    /// </summary>
    private sealed class CuttableProxy : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly EndPoint _target;
        private readonly ConcurrentQueue<(Socket Client, Socket Server)> _pairs = new();
        private readonly ConcurrentBag<Task> _copies = new();
        private readonly Task _acceptLoop;

        public CuttableProxy(RpcEndpoint target)
        {
            _target = target.EndPoint;
            _listener.Start();
            Endpoint = RpcEndpoint.Tcp((IPEndPoint)_listener.LocalEndpoint);
            _acceptLoop = AcceptLoopAsync();
        }

        /// <summary>Where clients connect instead of the target.</summary>
        public RpcEndpoint Endpoint { get; }

        /// <summary>Closes the listening socket: connects from now on are refused; accepted connections go on.</summary>
        public void StopAccepting() => _listener.Stop();

        /// <summary>Closes both sides of the first connection accepted.</summary>
        public void CutFirst()
        {
            var (client, server) = _pairs.First();
            client.Dispose();
            server.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await _listener.AcceptSocketAsync();
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or InvalidOperationException)
                {
                    return;
                }
                var server = new Socket(_target.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                client.NoDelay = true;
                await server.ConnectAsync(_target);
                _pairs.Enqueue((client, server));
                _copies.Add(CopyAsync(client, server));
                _copies.Add(CopyAsync(server, client));
            }
        }

        private static async Task CopyAsync(Socket from, Socket to)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    int read = await from.ReceiveAsync(buffer, SocketFlags.None);
                    if (read == 0) break;
                    await to.SendAsync(buffer.AsMemory(0, read), SocketFlags.None);
                }
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
            }
            from.Dispose();
            to.Dispose();
        }

        /// <summary>Stops accepting and closes every connection, both sides.</summary>
        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _acceptLoop;
            foreach (var (client, server) in _pairs)
            {
                client.Dispose();
                server.Dispose();
            }
            await Task.WhenAll(_copies);
        }
    }
}
