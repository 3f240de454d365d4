using Meshwork.Bench;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

// Meshwork echo server for the load generator: binds a free loopback port, prints "READY <endpoint>", serves until stdin
// closes, answers STATS on stdin (see ServerControl).
var options = new RpcServerOptions { Endpoints = { args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "127.0.0.1:0" } };
int dispatchArg = Array.IndexOf(args, "--dispatch");
if (dispatchArg >= 0) options.HandlerDispatch = Enum.Parse<DispatchMode>(args[dispatchArg + 1], ignoreCase: true);
int readerThreadsArg = Array.IndexOf(args, "--reader-threads");
if (readerThreadsArg >= 0) options.ReaderThreads = int.Parse(args[readerThreadsArg + 1], System.Globalization.CultureInfo.InvariantCulture);
var echo = new Method<byte[], byte[]>("Bench", "Echo", CallKind.Unary, MessageTypes.Plain<byte[]>(), MessageTypes.Plain<byte[]>());
await using var server = new RpcServer(options, name: "bench-server");
server.AddService(new ServiceDefinition("Bench").AddUnary(echo, static (payload, _) => new ValueTask<byte[]>(payload)));
await server.StartAsync();
Console.WriteLine($"READY {server.BoundEndpoints[0]}");
await ServerControl.ServeUntilStdinClosesAsync(args);
