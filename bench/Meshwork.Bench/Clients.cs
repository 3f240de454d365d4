using Grpc.Net.Client;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;

namespace Meshwork.Bench;

internal interface IEchoClient : IAsyncDisposable
{
    ValueTask CallAsync(int worker, byte[] payload);
}

/// <summary>The echo contract the Meshwork server serves by hand ("Bench/Echo", raw bytes); the client uses its generated proxy.</summary>
[RpcService("Bench")]
public interface IBenchEcho
{
    /// <summary>Returns the payload.</summary>
    ValueTask<byte[]> EchoAsync(byte[] payload);
}

internal sealed class MeshworkEchoClient : IEchoClient
{
    private readonly RpcChannel _channel;
    private readonly IBenchEcho _proxy;

    public MeshworkEchoClient(string endpoint, int connections, DispatchMode dispatch, int? readerThreads)
    {
        var options = new RpcClientOptions
        {
            ConnectionsPerEndpoint = connections,
            MaxConcurrentStreamsPerConnection = 4096,
            CompletionDispatch = dispatch,
        };
        if (readerThreads is { } threads) options.ReaderThreads = threads;
        _channel = RpcChannel.ForAddress(endpoint, options);
        _proxy = new BenchEchoClient(_channel);
    }

    // Pooled builder: the harness itself should not allocate a state machine per call.
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask CallAsync(int worker, byte[] payload)
    {
        var reply = await _proxy.EchoAsync(payload).ConfigureAwait(false);
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
