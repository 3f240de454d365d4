using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Tars.Tests.Codec;

namespace Meshwork.Tars.Tests.Echo;

/// <summary>A hand-written proxy for <c>MeshTest.Echo</c>, shaped like a generated one: any CallInvoker, any object name.</summary>
public sealed class EchoClient(CallInvoker invoker, string objectName = EchoService.ObjectName)
{
    private readonly Method<TarsInvocation, TarsReply> _echo = TarsMethods.Unary(objectName, "echo");
    private readonly Method<TarsInvocation, TarsReply> _add = TarsMethods.Unary(objectName, "add");
    private readonly Method<TarsInvocation, TarsReply> _mirror = TarsMethods.Unary(objectName, "mirror");
    private readonly Method<TarsInvocation, TarsReply> _fail = TarsMethods.Unary(objectName, "fail");
    private readonly Method<TarsInvocation, TarsReply> _ping = TarsMethods.Unary(objectName, TarsKeys.Ping);
    private readonly Method<TarsInvocation, TarsReply> _sleep = TarsMethods.Unary(objectName, "sleep");
    private readonly Method<TarsInvocation, Empty> _echoOneWay = TarsMethods.OneWay(objectName, "echo");

    private sealed class Args(Action<TarsParameterWriter> write) : ITarsArguments
    {
        public void WriteTo(TarsParameterWriter writer) => write(writer);
    }

    private static readonly TarsValueWriter<string> WriteString = static (ref TarsWriter w, int t, string v) => w.WriteString(t, v);
    private static readonly TarsValueWriter<int> WriteInt = static (ref TarsWriter w, int t, int v) => w.WriteInt32(t, v);

    public async Task<string> EchoAsync(string msg, CallOptions options = default)
    {
        var reply = await invoker.UnaryAsync(_echo, new TarsInvocation(new Args(w => w.Write(1, "msg", "string", msg, WriteString))), options);
        return reply.Results.ReadReturn(static (ref TarsReader r, int t) => r.ReadString(t, true));
    }

    public Task EchoOneWayAsync(string msg) =>
        invoker.OneWayAsync(_echoOneWay, new TarsInvocation(new Args(w => w.Write(1, "msg", "string", msg, WriteString)))).AsTask();

    public async Task<(int Ret, int Sum)> AddAsync(int a, int b, CallOptions options = default)
    {
        var reply = await invoker.UnaryAsync(_add, new TarsInvocation(new Args(w =>
        {
            w.Write(1, "a", "int32", a, WriteInt);
            w.Write(2, "b", "int32", b, WriteInt);
        })), options);
        return (reply.Results.ReadReturn(static (ref TarsReader r, int t) => r.ReadInt32(t, true)),
            reply.Results.Read(3, "sum", static (ref TarsReader r, int t) => r.ReadInt32(t, true)));
    }

    public async Task<Pair> MirrorAsync(Pair p)
    {
        var reply = await invoker.UnaryAsync(_mirror, new TarsInvocation(new Args(w =>
            w.Write(1, "p", Pair.TarsTypeName, p, static (ref TarsWriter x, int t, Pair v) => x.WriteStruct(t, v)))));
        return reply.Results.ReadReturn(static (ref TarsReader r, int t) => r.ReadStruct(t, true, new Pair()));
    }

    public async Task FailAsync(int code) =>
        await invoker.UnaryAsync(_fail, new TarsInvocation(new Args(w => w.Write(1, "code", "int32", code, WriteInt))));

    public async Task PingAsync() => await invoker.UnaryAsync(_ping, new TarsInvocation());

    public async Task<int> SleepAsync(int ms, CallOptions options = default)
    {
        var reply = await invoker.UnaryAsync(_sleep, new TarsInvocation(new Args(w => w.Write(1, "arg1", "int32", ms, WriteInt))), options);
        return reply.Results.ReadReturn(static (ref TarsReader r, int t) => r.ReadInt32(t, true));
    }

    public async Task<List<int>> RangeAsync(int n)
    {
        var reply = await invoker.UnaryAsync(TarsMethods.Unary(objectName, "range"), new TarsInvocation(new Args(w => w.Write(1, "n", "int32", n, WriteInt))));
        return reply.Results.ReadReturn(EchoService.ReadIntList);
    }

    public async Task<List<Pair>> PairsAsync(int n)
    {
        var reply = await invoker.UnaryAsync(TarsMethods.Unary(objectName, "pairs"), new TarsInvocation(new Args(w => w.Write(1, "n", "int32", n, WriteInt))));
        return reply.Results.ReadReturn(EchoService.ReadPairList);
    }

    public async Task<Dictionary<string, int>> CountAsync(List<string> words)
    {
        var reply = await invoker.UnaryAsync(TarsMethods.Unary(objectName, "count"),
            new TarsInvocation(new Args(w => w.Write(1, "words", "list<string>", words, EchoService.WriteStringList))));
        return reply.Results.ReadReturn(EchoService.ReadCounts);
    }

    public async Task<(int Count, List<string> Parts)> SplitAsync(string text)
    {
        var reply = await invoker.UnaryAsync(TarsMethods.Unary(objectName, "split"), new TarsInvocation(new Args(w => w.Write(1, "text", "string", text, WriteString))));
        return (reply.Results.ReadReturn(static (ref TarsReader r, int t) => r.ReadInt32(t, true)), reply.Results.Read(2, "parts", EchoService.ReadStringList));
    }

    public async Task<TarsReply> CallAsync(string function, CallOptions options = default) =>
        await invoker.UnaryAsync(TarsMethods.Unary(objectName, function), new TarsInvocation(), options);
}
