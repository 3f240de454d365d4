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

    /// <summary>
    /// Runs a scenario whose premise is that every continuation after a caller's first runs on a read loop. A run in
    /// which one did not (on a loaded machine the sweep takes a stalled read loop over and queues its work for a while)
    /// proves nothing either way, since a call made off the read loops goes round the slots anyway; the scenario
    /// returns false then and is run again, up to five times.
    /// </summary>
    private static async Task OnReadLoopsAsync(Func<Task<bool>> scenario)
    {
        for (int run = 0; run < 5; run++)
        {
            if (await scenario()) return;
        }
        Assert.Fail("in five runs a continuation ran off the read loop every time");
    }

    /// <summary>Calls from the read loops, one after another, until <paramref name="done"/> holds (true), a continuation
    /// runs off the read loops (false) or the wait for a condition times out (false).</summary>
    private static Task<(bool Done, bool OffReadLoop)> CallOnReadLoopsUntilAsync(RpcChannel channel, Func<int, string, bool> done) =>
        Task.Run(async () =>
        {
            using var stop = new CancellationTokenSource(Eventually.Timeout);
            for (int i = 0; !stop.IsCancellationRequested; i++)
            {
                if (i > 0 && ClientConnection.CurrentReadLoop is null) return (false, true);
                var peer = await channel.UnaryAsync(Who, "").ConfigureAwait(false);
                if (done(i, peer)) return (true, false);
            }
            return (false, false);
        });

    [Fact]
    public Task A_caller_making_calls_one_after_another_from_read_loops_opens_every_slot_then_stays_on_one() => OnReadLoopsAsync(async () =>
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
        if (!seen.Skip(1).All(s => s.OnReadLoop)) return false;
        // Every call after the first started on a read loop; while a slot had no connection they still went round the
        // slots, opening one connection per slot. Were the pool taken as open from its first connection, every call
        // would have stayed on that one.
        Assert.Equal(Slots, seen.Select(s => s.Peer).Distinct().Count());
        Assert.Equal(Slots, f.Channel.CurrentConnections.Count());
        Assert.Equal(Slots, f.Server.ConnectionCount);
        // Once every slot was open (the last one opened by the Slots-th call), the caller stayed on its connection.
        Assert.Single(seen.Skip(Slots - 1).Select(s => s.Peer).Distinct());
        return true;
    });

    [Fact]
    public Task A_slot_that_cannot_reconnect_leaves_its_calls_to_the_others_and_is_reopened_by_read_loop_callers() => OnReadLoopsAsync(async () =>
    {
        await using var pool = await ProxiedPool.StartAsync(o =>
        {
            o.ReconnectBackoffInitial = TimeSpan.FromMilliseconds(20);
            o.ReconnectBackoffMax = TimeSpan.FromMilliseconds(40);
        });
        var (proxy, channel) = (pool.Proxy, pool.Channel);

        // Both slots open (two calls started together go one to each slot), then a caller settles on one connection.
        var both = await Task.WhenAll(Task.Run(() => channel.UnaryAsync(Who, "").AsTask()), Task.Run(() => channel.UnaryAsync(Who, "").AsTask()));
        Assert.Equal(2, both.Distinct().Count());
        var originals = channel.CurrentConnections.ToList();
        var settled = await CallOneAfterAnotherAsync(channel, 6).WaitAsync(Eventually.Timeout);
        Assert.All(settled, s => Assert.Null(s.Error));

        // One connection is lost, and its slot cannot reconnect: the proxy refuses connects.
        proxy.StopAccepting();
        proxy.CutFirst();
        await Eventually.TrueAsync(() => channel.CurrentConnections.Count(c => c.IsUsable) == 1, "the client saw one connection lost");

        // Calls from threads that are no read loop go round the slots, and so do callers on the surviving connection's
        // read loop while a slot is being replaced: half of them reach the lost slot, whose reconnects fail (then back
        // off). None of them fails: a call whose slot cannot connect goes on the connection the other slot has.
        var aside = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            try
            {
                return ((string?)await channel.UnaryAsync(Who, "").ConfigureAwait(false), (RpcException?)null);
            }
            catch (RpcException ex)
            {
                return ((string?)null, (RpcException?)ex);
            }
        })));
        Assert.All(aside, a => Assert.Null(a.Item2));
        var chained = await CallOneAfterAnotherAsync(channel, 20).WaitAsync(Eventually.Timeout);
        Assert.All(chained, s => Assert.Null(s.Error));
        Assert.Single(aside.Select(a => a.Item1).Concat(chained.Select(s => s.Peer)).Distinct());

        // The proxy accepts again. A caller whose every call after the first starts on a read loop reopens the lost
        // slot: the pool heard of the lost connection and no longer keeps read-loop callers on their connection, so
        // they go round the slots, and the first to reach the lost one once its backoff is over reconnects it. Were
        // the pool still taken as open, the caller would stay on the surviving connection and the slot stay empty.
        proxy.StartAccepting();
        var (reopened, offReadLoop) = await CallOnReadLoopsUntilAsync(channel,
            (_, _) => channel.CurrentConnections.Count(c => c.IsUsable && !originals.Contains(c)) == 1);
        if (offReadLoop) return false;
        Assert.True(reopened, "the lost slot was not reopened by a caller on a read loop");
        return true;
    });

    [Fact]
    public Task A_connection_lost_under_callers_that_stay_on_read_loops_is_replaced() => OnReadLoopsAsync(async () =>
    {
        await using var pool = await ProxiedPool.StartAsync();
        var (proxy, channel) = (pool.Proxy, pool.Channel);
        var both = await Task.WhenAll(Task.Run(() => channel.UnaryAsync(Who, "").AsTask()), Task.Run(() => channel.UnaryAsync(Who, "").AsTask()));
        Assert.Equal(2, both.Distinct().Count());
        var originals = channel.CurrentConnections.ToList();

        // One caller, every call after its first started on the read loop of the connection that answered the one
        // before. The connection it is not on is cut under it: the pool hears of the loss, lets the caller go round
        // the slots again, and the caller's next call to reach the lost slot reconnects it. Were the pool to learn of
        // the loss only from a caller off the read loops, this caller would stay on its connection and the slot empty.
        var onIt = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var cut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var caller = CallOnReadLoopsUntilAsync(channel, (i, peer) =>
        {
            if (i == 3) onIt.SetResult(peer);
            // Replaced: a usable connection that is neither of the two first ones (until the client sees the cut, both
            // of those still count as usable).
            return cut.Task.IsCompleted && channel.CurrentConnections.Count(c => c.IsUsable && !originals.Contains(c)) == 1;
        });
        if (await Task.WhenAny(onIt.Task, caller) != onIt.Task) return false; // the caller left the read loops first
        proxy.CutAllBut(onIt.Task.Result);
        cut.SetResult();
        var (replaced, offReadLoop) = await caller;
        if (offReadLoop) return false;
        Assert.True(replaced, "the lost connection was not replaced while the caller stayed on read loops");
        return true;
    });

    /// <summary>A server, a <see cref="CuttableProxy"/> in front of it, and a channel of two pooled connections through
    /// the proxy with inline completions (so a caller's next call starts on the read loop that answered the last).</summary>
    private sealed class ProxiedPool : IAsyncDisposable
    {
        private readonly RpcServer _server;

        private ProxiedPool(RpcServer server, CuttableProxy proxy, RpcChannel channel)
        {
            _server = server;
            Proxy = proxy;
            Channel = channel;
        }

        /// <summary>The proxy between the channel and the server.</summary>
        public CuttableProxy Proxy { get; }

        /// <summary>The channel, connected through the proxy.</summary>
        public RpcChannel Channel { get; }

        /// <summary>Starts the three; <paramref name="configure"/> adjusts the channel's options.</summary>
        public static async Task<ProxiedPool> StartAsync(Action<RpcClientOptions>? configure = null)
        {
            var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromSeconds(5) });
            server.AddService(PoolService());
            await server.StartAsync();
            var proxy = new CuttableProxy(server.BoundEndpoints[0]);
            var options = new RpcClientOptions { ConnectionsPerEndpoint = 2, CompletionDispatch = DispatchMode.Inline };
            configure?.Invoke(options);
            return new ProxiedPool(server, proxy, RpcChannel.ForEndpoint(proxy.Endpoint, options));
        }

        /// <summary>Disposes the channel, the proxy and the server, in that order.</summary>
        public async ValueTask DisposeAsync()
        {
            await Channel.DisposeAsync();
            await Proxy.DisposeAsync();
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// A loopback TCP proxy that copies bytes both ways between each client it accepts and a new connection to the
    /// target; it can stop accepting (new connects are refused) and cut the first connection it accepted.
    /// </summary>
    private sealed class CuttableProxy : IAsyncDisposable
    {
        private TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly EndPoint _target;
        private readonly List<Task> _acceptLoops = new();
        private readonly ConcurrentQueue<(Socket Client, Socket Server)> _pairs = new();
        private readonly ConcurrentBag<Task> _copies = new();

        public CuttableProxy(RpcEndpoint target)
        {
            _target = target.EndPoint;
            _listener.Start();
            Endpoint = RpcEndpoint.Tcp((IPEndPoint)_listener.LocalEndpoint);
            _acceptLoops.Add(AcceptLoopAsync(_listener));
        }

        /// <summary>Where clients connect instead of the target.</summary>
        public RpcEndpoint Endpoint { get; }

        /// <summary>Closes the listening socket: connects from now on are refused; accepted connections go on.</summary>
        public void StopAccepting() => _listener.Stop();

        /// <summary>Closes both sides of every connection except the one whose side towards the target is <paramref name="peer"/>
        /// (the address the target sees).</summary>
        public void CutAllBut(string peer)
        {
            var kept = 0;
            foreach (var (client, server) in _pairs)
            {
                if (server.LocalEndPoint?.ToString() == peer)
                {
                    kept++;
                    continue;
                }
                client.Dispose();
                server.Dispose();
            }
            Assert.Equal(1, kept);
        }

        /// <summary>Listens again on the same port after <see cref="StopAccepting"/>.</summary>
        public void StartAccepting()
        {
            var listener = new TcpListener(IPAddress.Loopback, ((IPEndPoint)Endpoint.EndPoint).Port);
            listener.Server.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            listener.Start();
            _listener = listener;
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }

        /// <summary>Closes both sides of the first connection accepted.</summary>
        public void CutFirst()
        {
            var (client, server) = _pairs.First();
            client.Dispose();
            server.Dispose();
        }

        private async Task AcceptLoopAsync(TcpListener listener)
        {
            while (true)
            {
                Socket client;
                try
                {
                    client = await listener.AcceptSocketAsync();
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
            await Task.WhenAll(_acceptLoops);
            foreach (var (client, server) in _pairs)
            {
                client.Dispose();
                server.Dispose();
            }
            await Task.WhenAll(_copies);
        }
    }
}
