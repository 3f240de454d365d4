using System.Runtime.CompilerServices;
using Meshwork.Rpc;
using PolyType;

namespace Meshwork.Samples.Greeter;

[GenerateShape]
public partial record HelloRequest(string Name, int Times);

[GenerateShape]
public partial record HelloReply(string Message, DateTimeOffset At);

/// <summary>The contract: the generator turns it into GreeterClient, GreeterDispatcher and GreeterDescriptors.</summary>
[RpcService("Greeter")]
public interface IGreeter
{
    ValueTask<HelloReply> SayHelloAsync(HelloRequest request, CancellationToken ct = default);

    IAsyncEnumerable<HelloReply> SayManyAsync(HelloRequest request, CancellationToken ct = default);

    Task<int> CountAsync(IAsyncEnumerable<string> names, CancellationToken ct = default);

    IAsyncEnumerable<string> ShoutAsync(IAsyncEnumerable<string> words, CancellationToken ct = default);

    [RpcMethod(OneWay = true)]
    Task LogAsync(string line);
}

public sealed class GreeterService : IGreeter
{
    public TaskCompletionSource<string> Logged { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ValueTask<HelloReply> SayHelloAsync(HelloRequest request, CancellationToken ct) =>
        new(new HelloReply($"Hello, {request.Name}!", DateTimeOffset.UtcNow));

    public async IAsyncEnumerable<HelloReply> SayManyAsync(HelloRequest request, [EnumeratorCancellation] CancellationToken ct)
    {
        for (int i = 1; i <= request.Times; i++)
        {
            await Task.Yield();
            yield return new HelloReply($"Hello #{i}, {request.Name}", DateTimeOffset.UtcNow);
        }
    }

    public async Task<int> CountAsync(IAsyncEnumerable<string> names, CancellationToken ct)
    {
        int n = 0;
        await foreach (var _ in names.WithCancellation(ct)) n++;
        return n;
    }

    public async IAsyncEnumerable<string> ShoutAsync(IAsyncEnumerable<string> words, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var w in words.WithCancellation(ct)) yield return w.ToUpperInvariant() + "!";
    }

    public Task LogAsync(string line)
    {
        Logged.TrySetResult(line);
        return Task.CompletedTask;
    }
}
