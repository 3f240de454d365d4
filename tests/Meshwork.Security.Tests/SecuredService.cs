using System.Runtime.CompilerServices;
using System.Security.Claims;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Security.Tests;

/// <summary>Three services with different policies in the tests: an identity echo, an admin service and a health check.</summary>
internal static class SecuredService
{
    public static readonly Method<string, string> WhoAmI = new("Greeter", "WhoAmI", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<string, string> Claim = new("Greeter", "Claim", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<string, Empty> Notify = new("Greeter", "Notify", CallKind.OneWay, MessageTypes.Plain<string>(), MessageTypes.Plain<Empty>());
    public static readonly Method<int, int> Count = new("Greeter", "Count", CallKind.ServerStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<int>());
    public static readonly Method<string, string> Reset = new("Admin", "Reset", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<string, string> Status = new("Admin", "Status", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    public static readonly Method<string, string> Check = new("Health", "Check", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    /// <summary>Handler calls that got past the security middleware.</summary>
    public sealed class Calls
    {
        public int Handled;
    }

    public static IEnumerable<ServiceDefinition> Build(Calls calls) =>
    [
        new ServiceDefinition("Greeter")
            .AddUnary(WhoAmI, (_, ctx) => Handle(calls, Describe(ctx.User)))
            // The values of one claim type of the caller, joined: lets tests see every claim an authenticator made.
            .AddUnary(Claim, (type, ctx) => Handle(calls, string.Join(",", ctx.User?.FindAll(type).Select(c => c.Value) ?? [])))
            .AddOneWay(Notify, (_, ctx) =>
            {
                Interlocked.Increment(ref calls.Handled);
                return ValueTask.CompletedTask;
            })
            .AddServerStreaming(Count, (n, ctx) => CountAsync(calls, n, ctx.CancellationToken)),
        new ServiceDefinition("Admin")
            .AddUnary(Reset, (_, ctx) => Handle(calls, "reset by " + ctx.User?.Identity?.Name))
            .AddUnary(Status, (_, ctx) => Handle(calls, "ok")),
        new ServiceDefinition("Health")
            .AddUnary(Check, (_, ctx) => Handle(calls, ctx.User is null ? "healthy (anonymous)" : "healthy (" + ctx.User.Identity?.Name + ")")),
    ];

    private static ValueTask<string> Handle(Calls calls, string reply)
    {
        Interlocked.Increment(ref calls.Handled);
        return new ValueTask<string>(reply);
    }

    /// <summary><c>name|authenticationTypes|roles</c> of the caller, or <c>anonymous</c>.</summary>
    public static string Describe(ClaimsPrincipal? user)
    {
        if (user is null) return "anonymous";
        string types = string.Join("+", user.Identities.Select(i => i.AuthenticationType));
        string roles = string.Join(",", user.FindAll(ClaimTypes.Role).Select(c => c.Value));
        return $"{user.Identity?.Name}|{types}|{roles}";
    }

    private static async IAsyncEnumerable<int> CountAsync(Calls calls, int n, [EnumeratorCancellation] CancellationToken ct)
    {
        Interlocked.Increment(ref calls.Handled);
        for (int i = 0; i < n; i++)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return i;
        }
    }
}
