using System.Collections.Concurrent;
using Meshwork.Tars.Tests.Codec;

namespace Meshwork.Tars.Tests.Echo;

/// <summary>
/// The spec's <c>MeshTest.Echo</c> contract served by Meshwork, written the way a generated dispatcher binds it:
/// echo, add (out parameter), mirror (struct with long, bytes, map), fail (framework error), range/pairs/count/split
/// (vector and map results and arguments, a vector out parameter), plus sleep (for timeouts). TUP v2 type names are passed
/// in the Java spelling (<c>list&lt;int32&gt;</c>), as the generator writes them.
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

    public static readonly TarsValueWriter<List<int>> WriteIntList = static (ref TarsWriter w, int t, List<int> v) =>
        w.WriteList(t, v, static (ref TarsWriter x, int u, int e) => x.WriteInt32(u, e));
    public static readonly TarsValueReader<List<int>> ReadIntList = static (ref TarsReader r, int t) =>
        r.ReadList(t, true, static (ref TarsReader x, int u) => x.ReadInt32(u, true));
    public static readonly TarsValueWriter<List<string>> WriteStringList = static (ref TarsWriter w, int t, List<string> v) =>
        w.WriteList(t, v, static (ref TarsWriter x, int u, string e) => x.WriteString(u, e));
    public static readonly TarsValueReader<List<string>> ReadStringList = static (ref TarsReader r, int t) =>
        r.ReadList(t, true, static (ref TarsReader x, int u) => x.ReadString(u, true));
    public static readonly TarsValueWriter<List<Pair>> WritePairList = static (ref TarsWriter w, int t, List<Pair> v) =>
        w.WriteList(t, v, static (ref TarsWriter x, int u, Pair e) => x.WriteStruct(u, e));
    public static readonly TarsValueReader<List<Pair>> ReadPairList = static (ref TarsReader r, int t) =>
        r.ReadList(t, true, static (ref TarsReader x, int u) => x.ReadStruct(u, true, new Pair()));
    public static readonly TarsValueWriter<Dictionary<string, int>> WriteCounts = static (ref TarsWriter w, int t, Dictionary<string, int> v) =>
        w.WriteMap(t, v, static (ref TarsWriter x, int u, string k) => x.WriteString(u, k), static (ref TarsWriter x, int u, int e) => x.WriteInt32(u, e));
    public static readonly TarsValueReader<Dictionary<string, int>> ReadCounts = static (ref TarsReader r, int t) =>
        r.ReadMap(t, true, static (ref TarsReader x, int u) => x.ReadString(u, true), static (ref TarsReader x, int u) => x.ReadInt32(u, true));

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
        .Add("range", ctx =>
        {
            int n = ctx.Arguments.Read(1, "n", ReadInt);
            ctx.Results.WriteReturn("list<int32>", Enumerable.Range(0, n).ToList(), WriteIntList);
            return ValueTask.CompletedTask;
        })
        .Add("pairs", ctx =>
        {
            int n = ctx.Arguments.Read(1, "n", ReadInt);
            var pairs = Enumerable.Range(0, n).Select(i => new Pair { A = i, S = "p" + i }).ToList();
            ctx.Results.WriteReturn("list<" + Pair.TarsTypeName + ">", pairs, WritePairList);
            return ValueTask.CompletedTask;
        })
        .Add("count", ctx =>
        {
            var words = ctx.Arguments.Read(1, "words", ReadStringList);
            var counts = words.GroupBy(w => w, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
            ctx.Results.WriteReturn("map<string,int32>", counts, WriteCounts);
            return ValueTask.CompletedTask;
        })
        .Add("split", ctx =>
        {
            string text = ctx.Arguments.Read(1, "text", ReadString);
            var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            ctx.Results.WriteReturn("int32", parts.Count, WriteInt);
            ctx.Results.Write(2, "parts", "list<string>", parts, WriteStringList);
            return ValueTask.CompletedTask;
        })
        .Add("wait", async ctx => await Gate.Task.WaitAsync(ctx.CancellationToken))
        .Add("sleep", async ctx =>
        {
            int ms = ctx.Arguments.Read(1, "arg1", ReadInt);
            await Task.Delay(ms, ctx.CancellationToken);
            ctx.Results.WriteReturn("int32", ms, WriteInt);
        });
}
