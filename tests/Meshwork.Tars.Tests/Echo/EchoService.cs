using System.Collections.Concurrent;
using Meshwork.Tars.Tests.Codec;

namespace Meshwork.Tars.Tests.Echo;

/// <summary>
/// The spec's <c>MeshTest.Echo</c> contract served by Meshwork, written the way a generated dispatcher binds it:
/// echo, add (out parameter), mirror (struct with long, bytes, map), fail (framework error), plus sleep (for timeouts).
/// </summary>
public sealed class EchoService
{
    public const string ObjectName = "MeshTest.EchoServer.EchoObj";

    public ConcurrentQueue<string> Echoed { get; } = new();

    /// <summary>"wait" calls finish when the test completes this.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static readonly TarsValueReader<string> ReadString = static (ref TarsReader r, int t) => r.ReadString(t, true);
    private static readonly TarsValueReader<int> ReadInt = static (ref TarsReader r, int t) => r.ReadInt32(t, true);
    private static readonly TarsValueWriter<string> WriteString = static (ref TarsWriter w, int t, string v) => w.WriteString(t, v);
    private static readonly TarsValueWriter<int> WriteInt = static (ref TarsWriter w, int t, int v) => w.WriteInt32(t, v);

    public TarsServiceDefinition Definition(string objectName = ObjectName) => new TarsServiceDefinition(objectName)
        .Add("echo", ctx =>
        {
            string msg = ctx.Arguments.Read(1, "msg", ReadString);
            Echoed.Enqueue(msg);
            ctx.Results.WriteReturn("string", msg, WriteString);
            return ValueTask.CompletedTask;
        })
        .Add("add", ctx =>
        {
            int a = ctx.Arguments.Read(1, "a", ReadInt);
            int b = ctx.Arguments.Read(2, "b", ReadInt);
            ctx.Results.WriteReturn("int32", 0, WriteInt);
            ctx.Results.Write(3, "sum", "int32", a + b, WriteInt);
            return ValueTask.CompletedTask;
        })
        .Add("mirror", ctx =>
        {
            var p = ctx.Arguments.Read(1, "p", static (ref TarsReader r, int t) => r.ReadStruct(t, true, new Pair()));
            p.A += 1;
            Array.Reverse(p.Raw);
            ctx.Results.WriteReturn(Pair.TarsTypeName, p, static (ref TarsWriter w, int t, Pair v) => w.WriteStruct(t, v));
            return ValueTask.CompletedTask;
        })
        .Add("fail", ctx =>
        {
            int code = ctx.Arguments.Read(1, "code", ReadInt);
            throw new TarsException(code, "fail requested");
        })
        .Add("wait", async ctx => await Gate.Task.WaitAsync(ctx.CancellationToken))
        .Add("sleep", async ctx =>
        {
            int ms = ctx.Arguments.Read(1, "arg1", ReadInt);
            await Task.Delay(ms, ctx.CancellationToken);
            ctx.Results.WriteReturn("int32", ms, WriteInt);
        });
}
