using System.Buffers;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshwork.Hosting.Tests;

/// <summary>A contract registered by hand (as generated code would): which node answered, an echo, and a call that waits for its deadline.</summary>
public interface ICalc
{
    ValueTask<string> WhoAsync(CancellationToken ct = default);

    ValueTask<string> EchoAsync(string text, CancellationToken ct = default);

    ValueTask<string> SlowAsync(CancellationToken ct = default);
}

internal static class CalcContract
{
    public const string Name = "calc";

    public static readonly Method<string, string> Who = new(Name, "Who", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);
    public static readonly Method<string, string> Echo = new(Name, "Echo", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>(), idempotent: true);
    public static readonly Method<string, string> Slow = new(Name, "Slow", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    private static readonly Lazy<bool> s_registered = new(() =>
    {
        RpcContracts.Register<ICalc>(Name, invoker => new CalcClient(invoker), Bind);
        return true;
    });

    public static void Register() => _ = s_registered.Value;

    private static ServiceDefinition Bind(ICalc impl) => new ServiceDefinition(Name)
        .AddUnary(Who, (_, ctx) => impl.WhoAsync(ctx.CancellationToken))
        .AddUnary(Echo, (text, ctx) => impl.EchoAsync(text, ctx.CancellationToken))
        .AddUnary(Slow, (_, ctx) => impl.SlowAsync(ctx.CancellationToken));

    private sealed class CalcClient(CallInvoker invoker) : ICalc
    {
        public ValueTask<string> WhoAsync(CancellationToken ct = default) => invoker.UnaryAsync(Who, "", new CallOptions(ct));

        public ValueTask<string> EchoAsync(string text, CancellationToken ct = default) => invoker.UnaryAsync(Echo, text, new CallOptions(ct));

        public ValueTask<string> SlowAsync(CancellationToken ct = default) => invoker.UnaryAsync(Slow, "", new CallOptions(ct));
    }
}

public sealed record NodeName(string Value);

public sealed class Calc(NodeName node) : ICalc
{
    public ValueTask<string> WhoAsync(CancellationToken ct = default) => new(node.Value);

    public ValueTask<string> EchoAsync(string text, CancellationToken ct = default) => new(text);

    /// <summary>Answers only when the call is cancelled (its deadline passed): the caller's timeout decides.</summary>
    public async ValueTask<string> SlowAsync(CancellationToken ct = default)
    {
        await Task.Delay(Timeout.Infinite, ct);
        return "never";
    }
}

/// <summary>MessagePack under another wire id and name, counting what it decodes: shows which codec a message travelled in.</summary>
public sealed class CountingSerializer(byte id, string name) : ISerializer
{
    private long _decoded;

    public byte Id { get; } = id;

    public string Name { get; } = name;

    public long Decoded => Interlocked.Read(ref _decoded);

    public void Serialize<T>(IBufferWriter<byte> writer, T value, MessageType<T> type) => MessagePackRpcSerializer.Default.Serialize(writer, value, type);

    public T Deserialize<T>(in ReadOnlySequence<byte> data, MessageType<T> type)
    {
        Interlocked.Increment(ref _decoded);
        return MessagePackRpcSerializer.Default.Deserialize(data, type);
    }
}

/// <summary>Hosts built by AddMeshwork from a YAML document (a file, so that it can be rewritten while the host runs).</summary>
internal static class GovernedHosts
{
    public static HostApplicationBuilder Builder(string yamlPath, CapturingLoggerProvider? logs = null)
    {
        CalcContract.Register();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddYamlFile(yamlPath, optional: false, reloadOnChange: true);
        builder.Services.AddLogging(l =>
        {
            l.SetMinimumLevel(LogLevel.Debug);
            if (logs is not null) l.AddProvider(logs);
        });
        return builder;
    }

    /// <summary>A server host serving <see cref="ICalc"/> as node <paramref name="node"/>.</summary>
    public static IHost Server(string yamlPath, string node, CapturingLoggerProvider? logs = null, Action<IMeshworkBuilder>? extra = null, Action<RpcServerOptions>? server = null)
    {
        var builder = Builder(yamlPath, logs);
        builder.Services.AddSingleton(new NodeName(node));
        var meshwork = builder.Services.AddMeshwork(builder.Configuration.GetSection("Meshwork"));
        meshwork.AddServer(server).AddService<ICalc, Calc>();
        extra?.Invoke(meshwork);
        return builder.Build();
    }

    /// <summary>A client host with a governed <see cref="ICalc"/> proxy.</summary>
    public static IHost Client(string yamlPath, CapturingLoggerProvider? logs = null, Action<IMeshworkBuilder>? extra = null)
    {
        var builder = Builder(yamlPath, logs);
        var meshwork = builder.Services.AddMeshwork(builder.Configuration.GetSection("Meshwork"));
        meshwork.AddClient<ICalc>();
        extra?.Invoke(meshwork);
        return builder.Build();
    }

    /// <summary>A governed client host that joins the gossip node on <paramref name="serverGossip"/> and resolves through it.</summary>
    public static IHost GossipClient(TempFiles files, int serverGossip)
    {
        int clientGossip = FreePort.TcpAndUdp();
        return Client(files.Write("client.yaml", $"""
            Meshwork:
              Registry: {"{"} Type: gossip, NodeName: calc-client, Bind: "127.0.0.1:{clientGossip}", Profile: local, Join: [ "127.0.0.1:{serverGossip}" ] {"}"}
              Client:
                ResolveTimeout: 20s
            """));
    }

    public static string AddressOf(IHost serverHost) => serverHost.Services.GetRequiredService<RpcServer>().BoundEndpoints[0].ToString();

    /// <summary>Replaces a configuration file in one step (write aside, then rename), so the watcher never reads half a file.</summary>
    public static void Rewrite(string path, string content)
    {
        string temporary = path + ".next";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
