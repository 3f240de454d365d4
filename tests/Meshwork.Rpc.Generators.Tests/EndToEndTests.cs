using System.Runtime.CompilerServices;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using PolyType;

namespace Meshwork.Rpc.Generators.Tests.EndToEnd;

[GenerateShape]
public partial record Pair(int Left, int Right);

/// <summary>Compiled by the real generator (referenced as an analyzer), exercised over loopback sockets.</summary>
[RpcService("e2e.Calculator")]
public interface ICalculator
{
    ValueTask<string> EchoAsync(string text, CancellationToken cancellationToken = default);

    Task<int> SquareAsync(int value);

    Task<Pair> SwapAsync(Pair pair, CallOptions options = default);

    ValueTask<long> CounterAsync();

    Task ResetAsync(CancellationToken cancellationToken = default);

    ValueTask AddToCounterAsync(long amount, CallOptions options, CancellationToken cancellationToken);

    IAsyncEnumerable<int> RangeAsync(int count, CancellationToken cancellationToken = default);

    IAsyncEnumerable<string> GreetingsAsync();

    IAsyncEnumerable<int> ForeverAsync(CancellationToken cancellationToken = default);

    Task<int> SumAsync(IAsyncEnumerable<int> values, CancellationToken cancellationToken = default);

    ValueTask<string> ConcatAsync(IAsyncEnumerable<string> parts);

    Task CollectAsync(IAsyncEnumerable<Pair> pairs);

    IAsyncEnumerable<string> ShoutAsync(IAsyncEnumerable<string> words, CancellationToken cancellationToken = default);

    [RpcMethod(OneWay = true)]
    Task NotifyAsync(string message);

    [RpcMethod(OneWay = true)]
    ValueTask PokeAsync();

    [RpcMethod(Name = "version", Idempotent = true)]
    Task<string> GetVersionAsync();

    Task<Google.Protobuf.WellKnownTypes.Int64Value> LengthAsync(Google.Protobuf.WellKnownTypes.StringValue text);
}

internal sealed class Calculator : ICalculator
{
    private long _counter;

    public TaskCompletionSource<string> Notified { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Poked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public List<Pair> Collected { get; } = [];

    public ValueTask<string> EchoAsync(string text, CancellationToken cancellationToken = default) => new(text);

    public Task<int> SquareAsync(int value) => Task.FromResult(value * value);

    public Task<Pair> SwapAsync(Pair pair, CallOptions options = default) => Task.FromResult(new Pair(pair.Right, pair.Left));

    public ValueTask<long> CounterAsync() => new(Interlocked.Read(ref _counter));

    public async Task ResetAsync(CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        Interlocked.Exchange(ref _counter, 0);
    }

    public ValueTask AddToCounterAsync(long amount, CallOptions options, CancellationToken cancellationToken)
    {
        Interlocked.Add(ref _counter, amount);
        return default;
    }

    public async IAsyncEnumerable<int> RangeAsync(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return i;
        }
    }

    /// <summary>Set when <see cref="ForeverAsync"/> ends with its token cancelled: the server cancelled the call.</summary>
    public TaskCompletionSource ForeverCancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async IAsyncEnumerable<int> ForeverAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // Told at the handler's end, not by a callback registered on the token: a token runs its callbacks newest first,
        // and the newer one of Task.Delay ends this handler, whose end unregistered the older callback before its turn
        // whenever a thread-pool thread got there first (WithCancellationCancelsAServerStream failed so in full runs;
        // CancellationProbeTests forces that order).
        try
        {
            for (var i = 0; ; i++)
            {
                yield return i;
                await Task.Delay(10, cancellationToken);
            }
        }
        finally
        {
            if (cancellationToken.IsCancellationRequested) ForeverCancelled.TrySetResult();
        }
    }

    public async IAsyncEnumerable<string> GreetingsAsync()
    {
        await Task.Yield();
        yield return "hello";
        yield return "hallo";
    }

    public async Task<int> SumAsync(IAsyncEnumerable<int> values, CancellationToken cancellationToken = default)
    {
        var sum = 0;
        await foreach (var v in values.WithCancellation(cancellationToken)) sum += v;
        return sum;
    }

    public async ValueTask<string> ConcatAsync(IAsyncEnumerable<string> parts)
    {
        var result = "";
        await foreach (var p in parts) result += p;
        return result;
    }

    public async Task CollectAsync(IAsyncEnumerable<Pair> pairs)
    {
        await foreach (var p in pairs)
        {
            lock (Collected) Collected.Add(p);
        }
    }

    public async IAsyncEnumerable<string> ShoutAsync(IAsyncEnumerable<string> words, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var w in words.WithCancellation(cancellationToken)) yield return w.ToUpperInvariant() + "!";
    }

    public Task NotifyAsync(string message)
    {
        Notified.TrySetResult(message);
        return Task.CompletedTask;
    }

    public ValueTask PokeAsync()
    {
        Poked.TrySetResult();
        return default;
    }

    public Task<string> GetVersionAsync() => Task.FromResult("1.0");

    public Task<Google.Protobuf.WellKnownTypes.Int64Value> LengthAsync(Google.Protobuf.WellKnownTypes.StringValue text) =>
        Task.FromResult(new Google.Protobuf.WellKnownTypes.Int64Value { Value = text.Value.Length });
}

public sealed class EndToEndTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private readonly Calculator _impl = new();
    private RpcServer? _server;
    private RpcChannel? _channel;
    private ICalculator _client = null!;

    public async ValueTask InitializeAsync()
    {
        _server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        _server.AddService(CalculatorDispatcher.Bind(_impl));
        await _server.StartAsync();
        _channel = RpcChannel.ForAddress(_server.BoundEndpoints[0].ToString());
        _client = new CalculatorClient(_channel);
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null) await _channel.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Fact]
    public async Task UnaryShapes()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        Assert.Equal("ping", await _client.EchoAsync("ping", cts.Token));
        Assert.Equal(49, await _client.SquareAsync(7).WaitAsync(cts.Token));
        Assert.Equal(new Pair(2, 1), await _client.SwapAsync(new Pair(1, 2), cts.Token).WaitAsync(cts.Token));
        Assert.Equal("1.0", await _client.GetVersionAsync().WaitAsync(cts.Token));
    }

    [Fact]
    public async Task ProtobufMessages()
    {
        var reply = await _client.LengthAsync(new Google.Protobuf.WellKnownTypes.StringValue { Value = "protobuf" }).WaitAsync(s_timeout);
        Assert.Equal(8, reply.Value);
        Assert.NotNull(CalculatorDescriptors.Length.RequestType.ProtobufParser);
        Assert.NotNull(CalculatorDescriptors.Length.ResponseType.ProtobufParser);
    }

    [Fact]
    public async Task NoArgumentAndNoResultShapes()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        await _client.AddToCounterAsync(5, new CallOptions { Timeout = s_timeout }, cts.Token);
        await _client.AddToCounterAsync(6, default, default);
        Assert.Equal(11, await _client.CounterAsync());
        await _client.ResetAsync(cts.Token);
        Assert.Equal(0, await _client.CounterAsync());
    }

    [Fact]
    public async Task ServerStreaming()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        var received = new List<int>();
        await foreach (var i in _client.RangeAsync(5, cts.Token)) received.Add(i);
        Assert.Equal([0, 1, 2, 3, 4], received);

        var greetings = new List<string>();
        await foreach (var g in _client.GreetingsAsync().WithCancellation(cts.Token)) greetings.Add(g);
        Assert.Equal(["hello", "hallo"], greetings);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WithCancellationCancelsAServerStream(bool alsoPassAToken)
    {
        using var outer = new CancellationTokenSource(s_timeout);
        using var cts = new CancellationTokenSource();
        var stream = alsoPassAToken ? _client.ForeverAsync(outer.Token) : _client.ForeverAsync();
        var received = 0;
        var ex = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var _ in stream.WithCancellation(cts.Token))
            {
                if (++received == 3) cts.Cancel();
            }
        });
        Assert.True(ex is OperationCanceledException || ex is RpcException { Status: StatusCode.Cancelled }, ex.ToString());
        await _impl.ForeverCancelled.Task.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task ClientStreaming()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        Assert.Equal(15, await _client.SumAsync(Produce(1, 2, 3, 4, 5), cts.Token).WaitAsync(cts.Token));
        Assert.Equal("abc", await _client.ConcatAsync(Produce("a", "b", "c")).AsTask().WaitAsync(cts.Token));
        await _client.CollectAsync(Produce(new Pair(1, 2), new Pair(3, 4))).WaitAsync(cts.Token);
        lock (_impl.Collected) Assert.Equal([new Pair(1, 2), new Pair(3, 4)], _impl.Collected);
    }

    [Fact]
    public async Task DuplexStreaming()
    {
        using var cts = new CancellationTokenSource(s_timeout);
        var replies = new List<string>();
        await foreach (var r in _client.ShoutAsync(Produce("hi", "there"), cts.Token)) replies.Add(r);
        Assert.Equal(["HI!", "THERE!"], replies);
    }

    [Fact]
    public async Task OneWay()
    {
        await _client.NotifyAsync("fire and forget");
        Assert.Equal("fire and forget", await _impl.Notified.Task.WaitAsync(s_timeout));
        await _client.PokeAsync();
        await _impl.Poked.Task.WaitAsync(s_timeout);
    }

    [Fact]
    public async Task ContractIsRegisteredAtModuleLoad()
    {
        Assert.True(RpcContracts.IsRegistered(typeof(ICalculator)));
        Assert.Equal("e2e.Calculator", RpcContracts.ServiceName<ICalculator>());
        var viaRegistry = RpcContracts.CreateClient<ICalculator>(_channel!);
        Assert.IsType<CalculatorClient>(viaRegistry);
        Assert.Equal(81, await viaRegistry.SquareAsync(9).WaitAsync(s_timeout));

        var definition = RpcContracts.Bind<ICalculator>(_impl);
        Assert.Equal("e2e.Calculator", definition.Name);
        Assert.Contains("version", definition.MethodNames);
        Assert.Contains("Echo", definition.MethodNames);
        Assert.Equal(17, definition.MethodNames.Count());
    }

    [Fact]
    public void DescriptorsCarryNamesKindsAndFlags()
    {
        Assert.Equal("e2e.Calculator/version", CalculatorDescriptors.GetVersion.FullName);
        Assert.True(CalculatorDescriptors.GetVersion.Idempotent);
        Assert.False(CalculatorDescriptors.Echo.Idempotent);
        Assert.Equal(Protocol.CallKind.OneWay, CalculatorDescriptors.Notify.Kind);
        Assert.Equal(Protocol.CallKind.ServerStreaming, CalculatorDescriptors.Range.Kind);
        Assert.Equal(Protocol.CallKind.ClientStreaming, CalculatorDescriptors.Collect.Kind);
        Assert.Equal(Protocol.CallKind.DuplexStreaming, CalculatorDescriptors.Shout.Kind);
        Assert.NotNull(CalculatorDescriptors.Swap.RequestType.Shape);
        Assert.Null(CalculatorDescriptors.Echo.RequestType.Shape);
    }

    private static async IAsyncEnumerable<T> Produce<T>(params T[] items)
    {
        foreach (var item in items)
        {
            await Task.Yield();
            yield return item;
        }
    }
}
