using System.Collections.Concurrent;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Generators.Tests.EndToEnd;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Generators.Tests;

/// <summary>
/// Generated proxies call an <see cref="RpcChannel"/> directly (it is sealed), but must still send every call through
/// any other <see cref="CallInvoker"/> they are given (governance, instrumentation): the invoker here records what
/// passes through it and forwards to a real channel.
/// </summary>
public sealed class InvokerRoutingTests : IAsyncLifetime
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);
    private readonly Calculator _impl = new();
    private RpcServer? _server;
    private RpcChannel? _channel;

    public async ValueTask InitializeAsync()
    {
        _server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } });
        _server.AddService(CalculatorDispatcher.Bind(_impl));
        await _server.StartAsync();
        _channel = RpcChannel.ForAddress(_server.BoundEndpoints[0].ToString());
    }

    public async ValueTask DisposeAsync()
    {
        if (_channel is not null) await _channel.DisposeAsync();
        if (_server is not null) await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_proxy_over_a_wrapping_invoker_sends_every_call_kind_through_it()
    {
        var recording = new RecordingInvoker(_channel!);
        ICalculator client = new CalculatorClient(recording);
        using var cts = new CancellationTokenSource(s_timeout);

        Assert.Equal("ping", await client.EchoAsync("ping", cts.Token));
        Assert.Equal(49, await client.SquareAsync(7).WaitAsync(cts.Token));
        await client.NotifyAsync("through the wrapper").WaitAsync(cts.Token);
        Assert.Equal("through the wrapper", await _impl.Notified.Task.WaitAsync(cts.Token));
        Assert.Equal(6, await client.SumAsync(Values(1, 2, 3), cts.Token).WaitAsync(cts.Token));

        Assert.Equal(["e2e.Calculator/Echo", "e2e.Calculator/Square", "e2e.Calculator/Notify", "e2e.Calculator/Sum"], recording.Calls);
    }

    private static async IAsyncEnumerable<int> Values(params int[] values)
    {
        foreach (var v in values)
        {
            await Task.Yield();
            yield return v;
        }
    }

    /// <summary>Records the full name of each call, then forwards it to the inner invoker.</summary>
    private sealed class RecordingInvoker(CallInvoker inner) : CallInvoker
    {
        private readonly ConcurrentQueue<string> _calls = new();

        public IReadOnlyList<string> Calls => [.. _calls];

        public override ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        {
            _calls.Enqueue(method.FullName);
            return inner.UnaryAsync(method, request, options);
        }

        public override ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default)
        {
            _calls.Enqueue(method.FullName);
            return inner.OneWayAsync(method, request, options);
        }

        public override IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default)
        {
            _calls.Enqueue(method.FullName);
            return inner.ServerStreaming(method, request, options);
        }

        public override ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
        {
            _calls.Enqueue(method.FullName);
            return inner.ClientStreamingAsync(method, requests, options);
        }

        public override IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default)
        {
            _calls.Enqueue(method.FullName);
            return inner.DuplexStreaming(method, requests, options);
        }
    }
}
