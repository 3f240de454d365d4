using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Hosting.Tests;

/// <summary>A contract registered by hand, the way generated code would, so these tests do not need the generator.</summary>
public interface IGreeter
{
    ValueTask<string> EchoAsync(string text, CancellationToken ct = default);

    /// <summary>Waits until the server's <see cref="CallGate"/> is opened (honouring cancellation) and answers "released".</summary>
    ValueTask<string> HoldAsync(CancellationToken ct = default);
}

internal static class GreeterContract
{
    public const string Name = "Greeter";

    public static readonly Method<string, string> Echo = new(Name, "Echo", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<string, string> Hold = new(Name, "Hold", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    private static readonly Lazy<bool> s_registered = new(() =>
    {
        RpcContracts.Register<IGreeter>(Name, invoker => new GreeterClient(invoker), Bind);
        return true;
    });

    /// <summary>Idempotent; every test class calls it from its constructor.</summary>
    public static void Register() => _ = s_registered.Value;

    private static ServiceDefinition Bind(IGreeter impl) => new ServiceDefinition(Name)
        .AddUnary(Echo, (text, ctx) => impl.EchoAsync(text, ctx.CancellationToken))
        .AddUnary(Hold, (_, ctx) => impl.HoldAsync(ctx.CancellationToken));

    private sealed class GreeterClient(CallInvoker invoker) : IGreeter
    {
        public ValueTask<string> EchoAsync(string text, CancellationToken ct = default) => invoker.UnaryAsync(Echo, text, new CallOptions(ct));

        public ValueTask<string> HoldAsync(CancellationToken ct = default) => invoker.UnaryAsync(Hold, "", new CallOptions(ct));
    }
}

/// <summary>The server side; resolved from DI, with a dependency to prove it.</summary>
public sealed class Greeter(GreetingPrefix prefix, CallGate gate) : IGreeter
{
    /// <summary>For hosts that never hold calls: a gate of its own.</summary>
    public Greeter(GreetingPrefix prefix) : this(prefix, new CallGate())
    {
    }

    public ValueTask<string> EchoAsync(string text, CancellationToken ct = default) => new(prefix.Value + text);

    public async ValueTask<string> HoldAsync(CancellationToken ct = default)
    {
        Interlocked.Increment(ref gate.Entered);
        await gate.Opened.WaitAsync(ct);
        Interlocked.Increment(ref gate.Completed);
        return "released";
    }
}

/// <summary>Holds <see cref="IGreeter.HoldAsync"/> calls until the test opens it, so a test knows a call is in flight without sleeping.</summary>
public sealed class CallGate
{
    private readonly TaskCompletionSource _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Calls that reached the handler.</summary>
    public int Entered;

    /// <summary>Calls whose handler returned.</summary>
    public int Completed;

    public Task Opened => _opened.Task;

    public void Open() => _opened.TrySetResult();
}

public sealed record GreetingPrefix(string Value);
