using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Meshwork.Samples.Greeter;

// A server and a client in one process, talking over loopback with generated code only (runs under NativeAOT).
var impl = new GreeterService();
await using var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
server.AddService(GreeterDispatcher.Bind(impl));
await server.StartAsync();

await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
IGreeter greeter = new GreeterClient(channel);

var reply = await greeter.SayHelloAsync(new HelloRequest("NativeAOT", 3));
Console.WriteLine(reply.Message);
await foreach (var r in greeter.SayManyAsync(new HelloRequest("stream", 3))) Console.WriteLine(r.Message);
Console.WriteLine($"counted {await greeter.CountAsync(Names())} names");
await foreach (var s in greeter.ShoutAsync(Names())) Console.WriteLine(s);
await greeter.LogAsync("one-way works");
Console.WriteLine(await impl.Logged.Task.WaitAsync(TimeSpan.FromSeconds(5)));
Console.WriteLine($"dynamic code supported: {System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported}");
return 0;

static async IAsyncEnumerable<string> Names()
{
    foreach (var n in new[] { "ada", "grace", "linus" })
    {
        await Task.Yield();
        yield return n;
    }
}
