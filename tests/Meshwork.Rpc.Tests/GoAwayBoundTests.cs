using System.Net;
using System.Net.Sockets;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// What a client learns about calls that a shutting-down server did not run: the refusal of a call that crossed the
/// go-away is flagged, and the go-away names the highest request id that ran, so a call above it that is lost with the
/// connection is known not to have run (and may be sent elsewhere even when it is not idempotent).
/// </summary>
public class GoAwayBoundTests
{
    private static readonly Method<string, string> Who = new("Bound", "Who", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private static readonly Method<string, string> Hold = new("Bound", "Hold", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    [Fact]
    public async Task A_request_that_crosses_a_shutdown_go_away_is_refused_and_flagged_as_not_run()
    {
        var release = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int whoRan = 0;
        await using var server = new Server.RpcServer(new Server.RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromSeconds(60) });
        server.AddService(new Server.ServiceDefinition("Bound")
            .AddUnary(Who, (_, _) =>
            {
                Interlocked.Increment(ref whoRan);
                return new ValueTask<string>("ran");
            })
            .AddUnary(Hold, async (_, ctx) =>
            {
                held.TrySetResult();
                return await release.Task.WaitAsync(ctx.CancellationToken);
            }));
        await server.StartAsync();
        using var peer = await RawPeer.ConnectAsync(server.BoundEndpoints[0]);

        await peer.SendAsync(RawFrames.Request(Hold, 5, "hold"));
        await held.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var stop = server.StopAsync();

        var goAway = await peer.ReadFrameAsync();
        Assert.Equal(FrameType.GoAway, goAway.Header.Type);
        Assert.Equal(5UL, goAway.Header.RequestId);

        await peer.SendAsync(RawFrames.Request(Who, 7, "late"));
        var refused = await peer.ReadFrameAsync();
        Assert.Equal(FrameType.Response, refused.Header.Type);
        Assert.Equal(7UL, refused.Header.RequestId);
        Assert.Equal(StatusCode.Unavailable, refused.Header.Status);
        Assert.True((refused.Header.Flags & FrameFlags.Refused) != 0, "the refusal says the call did not run");
        Assert.Equal(0, Volatile.Read(ref whoRan));

        release.SetResult("done");
        var answer = await peer.ReadFrameAsync();
        Assert.Equal(5UL, answer.Header.RequestId);
        Assert.Equal(StatusCode.OK, answer.Header.Status);
        Assert.Equal(FrameFlags.None, answer.Header.Flags);
        await stop;
    }

    [Fact]
    public async Task Calls_above_the_go_away_bound_fail_as_not_run_and_refusals_reach_the_caller()
    {
        // A hand-played server reads three requests, refuses the first with the flag, sends a go-away naming the
        // second as the last that ran, and closes. The caller must be told exactly which calls did not run.
        await using var server = new HandPlayedServer(async peer =>
        {
            var ids = new List<ulong>();
            for (int i = 0; i < 3; i++) ids.Add((await peer.ReadFrameAsync()).Header.RequestId);
            ids.Sort();
            await peer.SendAsync(new FrameHeader { Type = FrameType.Response, Flags = FrameFlags.Refused, RequestId = ids[0], Status = StatusCode.Unavailable, StatusMessage = "refused" });
            await peer.SendAsync(new FrameHeader { Type = FrameType.GoAway, RequestId = ids[1], StatusMessage = "server shutting down" });
        });
        await using var channel = await server.ConnectAsync();
        // Started one after the other on a connected channel, the calls take ids in this order.
        var first = channel.UnaryAsync(Who, "a").AsTask();
        var second = channel.UnaryAsync(Who, "b").AsTask();
        var third = channel.UnaryAsync(Who, "c").AsTask();
        await server.Played;

        var refused = await Assert.ThrowsAsync<RpcException>(() => first);
        Assert.Equal(StatusCode.Unavailable, refused.Status);
        Assert.True(refused.NotExecuted, "a flagged refusal did not run");

        var atBound = await Assert.ThrowsAsync<RpcException>(() => second);
        Assert.Equal(StatusCode.Unavailable, atBound.Status);
        Assert.False(atBound.NotExecuted, "the go-away's own id may have run");

        var aboveBound = await Assert.ThrowsAsync<RpcException>(() => third);
        Assert.Equal(StatusCode.Unavailable, aboveBound.Status);
        Assert.True(aboveBound.NotExecuted, "a call above the go-away's id did not run");
        Assert.Contains("did not run", aboveBound.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idle_go_away_bounds_nothing()
    {
        await using var server = new HandPlayedServer(async peer =>
        {
            await peer.ReadFrameAsync();
            await peer.SendAsync(new FrameHeader { Type = FrameType.GoAway, RequestId = ulong.MaxValue, StatusMessage = "idle" });
        });
        await using var channel = await server.ConnectAsync();
        var call = channel.UnaryAsync(Who, "a").AsTask();
        await server.Played;
        var lost = await Assert.ThrowsAsync<RpcException>(() => call);
        Assert.False(lost.NotExecuted);
    }

    /// <summary>A server on a free loopback port that plays its first connection by hand, then closes it.</summary>
    private sealed class HandPlayedServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);

        public HandPlayedServer(Func<RawPeer, Task> play)
        {
            _listener.Start();
            Played = Task.Run(async () =>
            {
                using var peer = new RawPeer(await _listener.AcceptTcpClientAsync());
                await play(peer);
            });
        }

        /// <summary>Ends when the play is over and the connection closed.</summary>
        public Task Played { get; }

        /// <summary>A channel to this server, already connected.</summary>
        public async Task<RpcChannel> ConnectAsync()
        {
            var channel = RpcChannel.ForAddress($"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");
            await channel.ConnectAsync();
            return channel;
        }

        public ValueTask DisposeAsync()
        {
            _listener.Stop();
            return ValueTask.CompletedTask;
        }
    }
}
