using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Diagnostics.Tests;

/// <summary>The test contract.</summary>
internal static class Echo
{
    public const string Service = "echo";

    public static readonly Method<string, string> Say = new(Service, "Say", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);

    public static readonly Method<string, string> Fail = new(Service, "Fail", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    public static readonly Method<int, int> Count = new(Service, "Count", CallKind.ServerStreaming, MessageTypes.Plain<int>(), MessageTypes.Plain<int>());

    /// <summary>What the handler of <see cref="Say"/> saw: the request headers of each call.</summary>
    public static ServiceDefinition Define(Action<ServerCallContext>? onSay = null, Func<string, ServerCallContext, ValueTask<string>>? say = null) =>
        new ServiceDefinition(Service)
            .AddUnary(Say, async (request, context) =>
            {
                onSay?.Invoke(context);
                return say is null ? request : await say(request, context);
            })
            .AddUnary(Fail, (request, _) => throw new RpcException(StatusCode.FailedPrecondition, "refused: " + request))
            .AddServerStreaming(Count, CountAsync);

    private static async IAsyncEnumerable<int> CountAsync(int n, ServerCallContext context)
    {
        for (int i = 1; i <= n; i++)
        {
            await Task.Yield();
            yield return i;
        }
    }

    public static async Task<RpcServer> StartAsync(ServiceDefinition service, string name, bool telemetry = true)
    {
        var server = new RpcServer(new RpcServerOptions { Endpoints = { "127.0.0.1:0" } }, name: name);
        if (telemetry) server.Use(new ServerTelemetryMiddleware());
        server.AddService(service);
        await server.StartAsync();
        return server;
    }
}
