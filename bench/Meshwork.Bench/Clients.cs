using Grpc.Net.Client;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Bench;

internal interface IEchoClient : IAsyncDisposable
{
    ValueTask CallAsync(int worker, byte[] payload);
}

internal sealed class MeshworkEchoClient : IEchoClient
{
    private static readonly Method<byte[], byte[]> Echo = new("Bench", "Echo", CallKind.Unary, MessageTypes.Plain<byte[]>(), MessageTypes.Plain<byte[]>());
    private readonly RpcChannel _channel;

    public MeshworkEchoClient(string endpoint, int connections)
    {
        _channel = RpcChannel.ForAddress(endpoint, new RpcClientOptions { ConnectionsPerEndpoint = connections, MaxConcurrentStreamsPerConnection = 4096 });
    }

    // Pooled builder: the harness itself should not allocate a state machine per call.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CallAsync(int worker, byte[] payload)
    {
        var reply = await _channel.UnaryAsync(Echo, payload).ConfigureAwait(false);
        if (reply.Length != payload.Length) throw new InvalidOperationException("bad echo");
    }

    public ValueTask DisposeAsync() => _channel.DisposeAsync();
}

internal sealed class GrpcEchoClient : IEchoClient
{
    private readonly GrpcChannel[] _channels;
    private readonly Grpc.Echo.EchoClient[] _clients;

    public GrpcEchoClient(string url, int connections)
    {
        // One channel per connection: each GrpcChannel with multiple HTTP/2 connections disabled is exactly one TCP connection.
        _channels = Enumerable.Range(0, connections).Select(_ => GrpcChannel.ForAddress(url, new GrpcChannelOptions
        {
            HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false },
        })).ToArray();
        _clients = _channels.Select(c => new Grpc.Echo.EchoClient(c)).ToArray();
    }

    // Pooled builder: the harness itself should not allocate a state machine per call.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CallAsync(int worker, byte[] payload)
    {
        var reply = await _clients[worker % _clients.Length].EchoAsync(new Grpc.EchoMessage { Payload = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(payload) }).ConfigureAwait(false);
        if (reply.Payload.Length != payload.Length) throw new InvalidOperationException("bad echo");
    }

    public ValueTask DisposeAsync()
    {
        foreach (var c in _channels) c.Dispose();
        return ValueTask.CompletedTask;
    }
}
