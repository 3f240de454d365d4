using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Cli.Tests;

public class CallCommandTests
{
    private static readonly Method<string, string> Echo = new("Tool", "Echo", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    [Fact]
    public async Task Call_at_an_address_sends_a_json_request_with_headers_and_prints_the_reply()
    {
        await using var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        server.AddService(new ServiceDefinition("Tool").AddUnary(Echo, (s, ctx) => new ValueTask<string>($"{s} ({ctx.RequestHeaders?["who"]})")));
        await server.StartAsync();
        string address = server.BoundEndpoints[0].Display;

        var (code, stdout, stderr) = await MeshworkCli.RunAsync("call", address, "Tool/Echo", "\"hello\"", "-H", "who=cli");
        Assert.True(code == 0, stderr);
        Assert.Equal("hello (cli)", stdout.Trim());

        (code, stdout, stderr) = await MeshworkCli.RunAsync("call", address, "Tool/Echo", "\"hello\"", "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal("\"hello ()\"", stdout.Trim());

        (code, _, stderr) = await MeshworkCli.RunAsync("call", address, "Tool/Missing", "\"x\"");
        Assert.Equal(1, code);
        Assert.Contains("NotFound", stderr);

        (code, _, stderr) = await MeshworkCli.RunAsync("call", address, "no-slash", "\"x\"");
        Assert.Equal(2, code);
        Assert.Contains("Service/Method", stderr);
    }
}
