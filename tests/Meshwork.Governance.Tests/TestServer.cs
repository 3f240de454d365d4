using System.Collections.Concurrent;
using Meshwork.Discovery;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Governance.Tests;

internal enum Behavior
{
    Normal,
    Unavailable,
    Hang,
    Internal,
    Invalid,
}

/// <summary>The test contract: who answered, idempotent and not.</summary>
internal static class Echo
{
    public const string Service = "echo";

    /// <summary>Idempotent: returns the server's name.</summary>
    public static readonly Method<string, string> Who = new(Service, "Who", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    /// <summary>Not idempotent: returns the server's name.</summary>
    public static readonly Method<string, string> Write = new(Service, "Write", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    /// <summary>Server streaming: n numbers; a negative n sends one number and then holds the stream open until it is cancelled.</summary>
    public static readonly Method<int, int> Stream = new(Service, "Stream", CallKind.ServerStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<int>());
}

/// <summary>A real Meshwork RPC server on a free loopback port serving <see cref="Echo"/>, with a switchable behaviour.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private int _calls;
    private int _cancelled;

    public TestServer(string name, params ServiceDefinition[] extra)
    {
        Name = name;
        Server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, DrainTimeout = TimeSpan.FromSeconds(10) }, name: name);
        Server.AddService(new ServiceDefinition(Echo.Service).AddUnary(Echo.Who, HandleAsync).AddUnary(Echo.Write, HandleAsync)
            .AddServerStreaming(Echo.Stream, (n, context) => StreamAsync(n, context.CancellationToken)));
        foreach (var s in extra) Server.AddService(s);
    }

    public string Name { get; }

    public RpcServer Server { get; }

    public volatile Behavior Behavior;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Handlers that observed cancellation (hedging losers, deadlines).</summary>
    public int Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>When each call arrived (Stopwatch timestamp) and the remaining deadline it carried.</summary>
    public ConcurrentQueue<(long Arrived, TimeSpan? Remaining)> Arrivals { get; } = new();

    public string Address => Server.BoundEndpoints[0].ToString();

    private int _openStreams;

    /// <summary>Streams of <see cref="Echo.Stream"/> being served now.</summary>
    public int OpenStreams => Volatile.Read(ref _openStreams);

    private async IAsyncEnumerable<int> StreamAsync(int n, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        Interlocked.Increment(ref _openStreams);
        try
        {
            if (Behavior == Behavior.Unavailable) throw new RpcException(StatusCode.Unavailable, $"{Name} is refusing calls");
            for (int i = 0; i < Math.Max(n, 1); i++) yield return i;
            if (n < 0) await Task.Delay(Timeout.Infinite, ct);
        }
        finally
        {
            Interlocked.Decrement(ref _openStreams);
        }
    }

    public ServiceInstance Instance(SemanticVersion version = default, string? zone = null) =>
        new(Echo.Service, Address) { Version = version, Zone = zone };

    public static async Task<TestServer> StartAsync(string name)
    {
        var s = new TestServer(name);
        await s.Server.StartAsync();
        return s;
    }

    private async ValueTask<string> HandleAsync(string request, ServerCallContext context)
    {
        Interlocked.Increment(ref _calls);
        Arrivals.Enqueue((System.Diagnostics.Stopwatch.GetTimestamp(), context.RemainingTime));
        switch (Behavior)
        {
            case Behavior.Unavailable:
                throw new RpcException(StatusCode.Unavailable, $"{Name} is refusing calls");
            case Behavior.Internal:
                throw new RpcException(StatusCode.Internal, $"{Name} is broken");
            case Behavior.Invalid:
                throw new RpcException(StatusCode.InvalidArgument, $"{Name} refuses the request");
            case Behavior.Hang:
                try
                {
                    await Task.Delay(Timeout.Infinite, context.CancellationToken);
                }
                catch (OperationCanceledException)
                {
                    Interlocked.Increment(ref _cancelled);
                    throw;
                }
                break;
        }
        return Name;
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
