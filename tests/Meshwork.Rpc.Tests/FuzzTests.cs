using System.Buffers;
using System.Net.Sockets;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// Seeded random frames (valid framing, arbitrary header fields and bodies) over many raw connections. Afterwards the
/// server must still serve, and once the fuzzing connections are gone every call slot must be free again.
/// </summary>
public class FuzzTests
{
    private static readonly string[] Methods = ["Echo", "Size", "Blob", "Fail", "Headers", "Notify", "Count", "Sum", "Chat", "Nope"];

    /// <summary>Seeds from MESHWORK_FUZZ_SEEDS (comma-separated) for longer local runs; three fixed seeds in CI.</summary>
    public static TheoryData<int> Seeds()
    {
        var data = new TheoryData<int>();
        var env = Environment.GetEnvironmentVariable("MESHWORK_FUZZ_SEEDS");
        foreach (var s in (string.IsNullOrWhiteSpace(env) ? "20261123,7,42" : env).Split(',')) data.Add(int.Parse(s));
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public async Task Random_frames_never_break_the_server_or_leak_call_slots(int seed)
    {
        await using var f = await ServerFixture.StartAsync(server: o => o.MaxFrameSize = 256 * 1024);
        var rng = new Random(seed);
        var endpoint = (System.Net.IPEndPoint)f.Server.BoundEndpoints[0].EndPoint;
        var clients = new List<TcpClient>();
        try
        {
            for (int c = 0; c < 20; c++)
            {
                var client = new TcpClient();
                await client.ConnectAsync(endpoint);
                clients.Add(client);
                var w = new ArrayBufferWriter<byte>();
                for (int i = 0; i < 200; i++)
                {
                    var header = new FrameHeader
                    {
                        Type = (FrameType)rng.Next(1, 11),
                        RequestId = (ulong)rng.Next(0, 40),
                        Service = rng.Next(10) == 0 ? "Other" : TestService.Name,
                        Method = Methods[rng.Next(Methods.Length)],
                        Serializer = (byte)rng.Next(0, 5),
                        Compression = (byte)(rng.Next(4) == 0 ? rng.Next(0, 4) : 0),
                        Kind = (CallKind)rng.Next(0, 5),
                        Window = (uint)rng.Next(0, 4),
                        TimeoutMicros = rng.Next(3) == 0 ? rng.Next(1, 2_000_000) : 0,
                    };
                    var body = new byte[rng.Next(0, 64)];
                    rng.NextBytes(body);
                    if (rng.Next(3) == 0 && body.Length > 0) body[0] = (byte)rng.Next(0, 0x80); // sometimes a valid small int
                    FrameCodec.Write(w, header, body);
                }
                var stream = client.GetStream();
                try
                {
                    await stream.WriteAsync(w.WrittenMemory);
                }
                catch (IOException)
                {
                    // The server may already have closed this connection over a protocol violation; that is fine.
                }
            }
            // The server keeps serving well-behaved clients throughout.
            Assert.Equal("ok", await f.Channel.UnaryAsync(TestService.Echo, "ok"));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ActiveCalls == 0, 20_000);
        await ErrorAndDeadlineTests.WaitUntil(() => f.Server.ConnectionCount == 1, 20_000);
        Assert.Equal("still ok", await f.Channel.UnaryAsync(TestService.Echo, "still ok"));
    }
}
