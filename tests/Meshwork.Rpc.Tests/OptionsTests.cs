using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

public class OptionsTests
{
    [Fact]
    public void Server_options_validation_names_the_bad_setting()
    {
        var ex = Assert.Throws<InvalidOptionException>(() => new RpcServerOptions().Validate());
        Assert.Contains("Endpoints", ex.Message);
        ex = Assert.Throws<InvalidOptionException>(() => new RpcServerOptions { Endpoints = { "nonsense" } }.Validate());
        Assert.Contains("host:port", ex.Message);
        ex = Assert.Throws<InvalidOptionException>(() => new RpcServerOptions { Endpoints = { "127.0.0.1:1" }, MaxFrameSize = 10 }.Validate());
        Assert.Contains("MaxFrameSize", ex.Message);
        ex = Assert.Throws<InvalidOptionException>(() => new RpcServerOptions { Endpoints = { "127.0.0.1:1" }, DrainTimeout = TimeSpan.Zero }.Validate());
        Assert.Contains("DrainTimeout", ex.Message);
        Assert.Equal("DrainTimeout", ex.OptionPath);
        ex = Assert.Throws<InvalidOptionException>(() => new RpcServerOptions { Endpoints = { "127.0.0.1:1" }, Tls = new() }.Validate());
        Assert.Contains("Certificate", ex.Message);
        Assert.Equal("Tls.Certificate", ex.OptionPath); // hosts map the path to their configuration key
        Assert.Equal("is required when TLS is enabled", ex.Problem);
    }

    [Fact]
    public void Client_options_validation_names_the_bad_setting()
    {
        var ex = Assert.Throws<InvalidOptionException>(() => RpcChannel.ForAddress("127.0.0.1:1", new RpcClientOptions { ConnectionsPerEndpoint = 0 }));
        Assert.Contains("ConnectionsPerEndpoint", ex.Message);
        ex = Assert.Throws<InvalidOptionException>(() => new RpcClientOptions { ReconnectBackoffInitial = TimeSpan.FromSeconds(10), ReconnectBackoffMax = TimeSpan.FromSeconds(1) }.Validate());
        Assert.Contains("ReconnectBackoffMax", ex.Message);
        ex = Assert.Throws<InvalidOptionException>(() => new RpcClientOptions { DefaultTimeout = TimeSpan.FromSeconds(-1) }.Validate());
        Assert.Contains("DefaultTimeout", ex.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:7000", "127.0.0.1:7000")]
    [InlineData("tcp://127.0.0.1:7000", "127.0.0.1:7000")]
    [InlineData("localhost:80", "127.0.0.1:80")]
    [InlineData("[::1]:9000", "[::1]:9000")]
    [InlineData("unix:///tmp/a.sock", "unix:///tmp/a.sock")]
    public void Endpoints_parse(string input, string display) => Assert.Equal(display, Transport.RpcEndpoint.Parse(input).Display);

    [Theory]
    [InlineData("7000")]
    [InlineData("host:")]
    [InlineData("host:99999")]
    [InlineData("unix://")]
    public void Bad_endpoints_explain_themselves(string input)
    {
        var ex = Assert.Throws<FormatException>(() => Transport.RpcEndpoint.Parse(input));
        Assert.Contains(input, ex.Message);
    }

    [Fact]
    public async Task Breaking_out_of_a_server_stream_cancels_it_on_the_server()
    {
        await using var f = await ServerFixture.StartAsync(client: o => o.StreamWindow = 4);
        await foreach (var i in f.Channel.ServerStreaming(TestService.Count, 1_000_000))
        {
            if (i == 2) break;
        }
        // The call ends on the server only when its handler has returned (a call left running would block on stream
        // credits for ever), so once it is gone the producer has stopped for good.
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ActiveCalls == 0);
        Assert.True(Volatile.Read(ref f.State.CountProduced) < 100);
    }

    [Fact]
    public async Task WithCancellation_on_a_server_stream_cancels_the_call()
    {
        await using var f = await ServerFixture.StartAsync(client: o => o.StreamWindow = 4);
        using var cts = new CancellationTokenSource();
        var seen = 0;
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var i in f.Channel.ServerStreaming(TestService.Count, 1_000_000).WithCancellation(cts.Token))
            {
                if (++seen == 3) cts.Cancel();
            }
        });
        Assert.True(ex is RpcException { Status: StatusCode.Cancelled } or OperationCanceledException, ex.ToString());
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ActiveCalls == 0);
    }

    [Fact]
    public async Task Binding_a_port_in_use_fails_start_with_the_endpoint_named()
    {
        await using var first = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        await first.StartAsync();
        string taken = first.BoundEndpoints[0].Display;
        var second = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0", taken } });
        var ex = await Assert.ThrowsAsync<IOException>(() => second.StartAsync());
        Assert.Contains(taken, ex.Message);
        await second.DisposeAsync();
    }
}
