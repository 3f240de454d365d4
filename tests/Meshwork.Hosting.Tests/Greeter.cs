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

    /// <summary>Waits <paramref name="milliseconds"/> (honouring cancellation) and answers "slept".</summary>
    ValueTask<string> SleepAsync(int milliseconds, CancellationToken ct = default);
}

internal static class GreeterContract
{
    public const string Name = "Greeter";

    public static readonly Method<string, string> Echo = new(Name, "Echo", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<int, string> Sleep = new(Name, "Sleep", CallKind.Unary, MessageTypes.Plain<int>(), MessageTypes.Plain<string>());

    private static readonly Lazy<bool> s_registered = new(() =>
    {
        RpcContracts.Register<IGreeter>(Name, invoker => new GreeterClient(invoker), Bind);
        return true;
    });

    /// <summary>Idempotent; every test class calls it from its constructor.</summary>
    public static void Register() => _ = s_registered.Value;

    private static ServiceDefinition Bind(IGreeter impl) => new ServiceDefinition(Name)
        .AddUnary(Echo, (text, ctx) => impl.EchoAsync(text, ctx.CancellationToken))
        .AddUnary(Sleep, (ms, ctx) => impl.SleepAsync(ms, ctx.CancellationToken));

    private sealed class GreeterClient(CallInvoker invoker) : IGreeter
    {
        public ValueTask<string> EchoAsync(string text, CancellationToken ct = default) => invoker.UnaryAsync(Echo, text, new CallOptions(ct));

        public ValueTask<string> SleepAsync(int milliseconds, CancellationToken ct = default) => invoker.UnaryAsync(Sleep, milliseconds, new CallOptions(ct));
    }
}

/// <summary>The server side; resolved from DI, with a dependency to prove it.</summary>
public sealed class Greeter(GreetingPrefix prefix) : IGreeter
{
    public ValueTask<string> EchoAsync(string text, CancellationToken ct = default) => new(prefix.Value + text);

    public async ValueTask<string> SleepAsync(int milliseconds, CancellationToken ct = default)
    {
        await Task.Delay(milliseconds, ct);
        return "slept";
    }
}

public sealed record GreetingPrefix(string Value);
