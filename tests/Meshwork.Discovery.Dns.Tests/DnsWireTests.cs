using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Meshwork.Discovery.Dns;

namespace Meshwork.Discovery.Dns.Tests;

/// <summary>The message reader refuses every out-of-bounds length and pointer, and the transport drops such answers.</summary>
public sealed class DnsWireTests
{
    /// <summary>A response header (id 0x1234, QR set) with the given flags and section counts.</summary>
    private static List<byte> Header(int answers, int additional = 0, int questions = 0, ushort flags = 0x8180)
    {
        var h = new byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(h, 0x1234);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(2), flags);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(4), (ushort)questions);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(6), (ushort)answers);
        BinaryPrimitives.WriteUInt16BigEndian(h.AsSpan(10), (ushort)additional);
        return [.. h];
    }

    private static byte[] Name(string dotted) => [.. dotted.Split('.').SelectMany(l => new[] { (byte)l.Length }.Concat(l.Select(c => (byte)c))), 0];

    private static byte[] RecordHeader(ushort type, int dataLength, uint ttl = 60) =>
        [(byte)(type >> 8), (byte)type, 0, 1, (byte)(ttl >> 24), (byte)(ttl >> 16), (byte)(ttl >> 8), (byte)ttl, (byte)(dataLength >> 8), (byte)dataLength];

    [Fact]
    public void A_well_formed_srv_answer_with_a_compressed_target_is_read()
    {
        var m = Header(answers: 1, additional: 1, questions: 1);
        int questionAt = m.Count;
        m.AddRange(Name("_rpc._tcp.echo.local"));
        m.AddRange([0, 33, 0, 1]);
        m.AddRange([0xC0, (byte)questionAt]); // owner: pointer to the question name
        m.AddRange(RecordHeader(33, 6 + 5 + 1)); // priority, weight, port, "h1" + pointer to "echo.local", one byte too many
        m.AddRange([0, 1, 0, 5, 0x1B, 0x58]);
        m.AddRange([2, (byte)'h', (byte)'1', 0xC0, (byte)(questionAt + 10)]);
        m.Add(0); // pad: record data declared one byte longer than the name
        var bad = m.ToArray();
        // The declared data length is one byte longer than what the SRV fields use: refused.
        Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(bad));

        m = Header(answers: 1, questions: 1);
        m.AddRange(Name("_rpc._tcp.echo.local"));
        m.AddRange([0, 33, 0, 1]);
        m.AddRange([0xC0, (byte)questionAt]);
        m.AddRange(RecordHeader(33, 6 + 3 + 2));
        m.AddRange([0, 1, 0, 5, 0x1B, 0x58]);
        m.AddRange([2, (byte)'H', (byte)'1', 0xC0, (byte)(questionAt + 10)]);
        var response = DnsMessageReader.Parse(m.ToArray());
        var srv = Assert.IsType<SrvRecord>(Assert.Single(response.Answers));
        Assert.Equal("_rpc._tcp.echo.local", response.QuestionName);
        Assert.Equal("_rpc._tcp.echo.local", srv.Name);
        Assert.Equal("h1.echo.local", srv.Target); // lower-cased, pointer followed
        Assert.Equal((1, 5, 7000), (srv.Priority, srv.Weight, srv.Port));
    }

    [Fact]
    public void A_pointer_to_itself_or_forward_is_refused()
    {
        var m = Header(answers: 1);
        int at = m.Count;
        m.AddRange([0xC0, (byte)at]); // points at itself: a loop
        m.AddRange(RecordHeader(1, 4));
        m.AddRange([127, 0, 0, 1]);
        Assert.Contains("points forward", Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(m.ToArray())).Message);

        m = Header(answers: 1);
        m.AddRange([0xC0, 0xFF]); // beyond the message
        m.AddRange(RecordHeader(1, 4));
        m.AddRange([127, 0, 0, 1]);
        Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(m.ToArray()));
    }

    [Fact]
    public void Lengths_beyond_the_message_are_refused()
    {
        var label = Header(answers: 1);
        label.AddRange([10, (byte)'a']); // a 10-byte label with 1 byte left
        Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(label.ToArray()));

        var data = Header(answers: 1);
        data.AddRange(Name("a.b"));
        data.AddRange(RecordHeader(1, 400)); // record data longer than the message
        data.AddRange([127, 0, 0, 1]);
        Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(data.ToArray()));

        var address = Header(answers: 1);
        address.AddRange(Name("a.b"));
        address.AddRange(RecordHeader(1, 3)); // an A record must hold 4 bytes
        address.AddRange([127, 0, 0]);
        Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(address.ToArray()));

        var counts = Header(answers: 500); // counts promise more records than the message holds
        Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(counts.ToArray()));

        Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(new byte[5]));
    }

    [Fact]
    public void A_name_longer_than_255_bytes_is_refused_even_through_pointers()
    {
        var m = Header(answers: 1);
        // 5 labels of 60 bytes = 305 bytes.
        for (int i = 0; i < 5; i++)
        {
            m.Add(60);
            m.AddRange(Enumerable.Repeat((byte)'x', 60));
        }
        m.Add(0);
        m.AddRange(RecordHeader(1, 4));
        m.AddRange([127, 0, 0, 1]);
        Assert.Contains("longer than 255", Assert.Throws<DnsFormatException>(() => DnsMessageReader.Parse(m.ToArray())).Message);
    }

    [Fact]
    public void Query_names_are_checked_before_they_are_sent()
    {
        Assert.Throws<ArgumentException>(() => DnsQueryWriter.Validate("a..b"));
        Assert.Throws<ArgumentException>(() => DnsQueryWriter.Validate(new string('x', 64) + ".local"));
        Assert.Throws<ArgumentException>(() => DnsQueryWriter.Validate(string.Join('.', Enumerable.Repeat(new string('x', 60), 5))));
        Assert.Throws<ArgumentException>(() => DnsQueryWriter.Validate("bad name.local"));
        DnsQueryWriter.Validate("_rpc._tcp.orders.default.svc.cluster.local.");
    }

    [Fact]
    public async Task Answers_with_another_id_or_question_are_ignored()
    {
        // A server that first sends a forged answer with the wrong id, then one for another question, then the real one.
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var forger = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            while (!stop.IsCancellationRequested)
            {
                var got = await server.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop.Token);
                var query = buffer.AsSpan(0, got.ReceivedBytes).ToArray();
                ushort id = BinaryPrimitives.ReadUInt16BigEndian(query);
                byte[] question = query[12..]; // no EDNS record: the question is the rest of the query
                byte[] otherQuestion = [.. Name("other.svc.cluster.local"), 0, 1, 0, 1];
                foreach (var (replyId, q, address) in new[] { ((ushort)(id ^ 0x5A5A), question, 9), (id, otherQuestion, 8), (id, question, 7) })
                {
                    var reply = Header(answers: 1, questions: 1);
                    BinaryPrimitives.WriteUInt16BigEndian(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(reply), replyId);
                    reply.AddRange(q);
                    reply.AddRange([0xC0, 12]);
                    reply.AddRange(RecordHeader(1, 4));
                    reply.AddRange([127, 0, 0, (byte)address]);
                    await server.SendToAsync(reply.ToArray(), SocketFlags.None, got.RemoteEndPoint, stop.Token);
                }
            }
        });
        await using var registry = new DnsServiceRegistry(new DnsDiscoveryOptions
        {
            Server = server.LocalEndPoint!.ToString()!,
            Mode = DnsDiscoveryMode.Headless,
            Domain = "svc.cluster.local",
            Port = 80,
            AddressFamily = DnsAddressFamily.IPv4,
            UdpPayloadSize = 0,
        });

        var set = await registry.ResolveAsync("web");

        Assert.Equal(["127.0.0.7:80"], set.Select(i => i.Address));
        Assert.Equal(0, registry.MalformedResponses);
        await stop.CancelAsync();
        try
        {
            await forger;
        }
        catch (OperationCanceledException)
        {
        }
    }

    [Fact]
    public async Task Malformed_answers_with_the_right_id_are_counted_and_dropped_not_trusted()
    {
        // A hostile server: it echoes the query id with a compression loop in the answer.
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        using var stop = new CancellationTokenSource();
        var hostile = Task.Run(async () =>
        {
            var buffer = new byte[1024];
            while (!stop.IsCancellationRequested)
            {
                var got = await server.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), stop.Token);
                var reply = Header(answers: 1);
                reply[0] = buffer[0];
                reply[1] = buffer[1];
                int at = reply.Count;
                reply.AddRange([0xC0, (byte)at]);
                reply.AddRange(RecordHeader(33, 0));
                await server.SendToAsync(reply.ToArray(), SocketFlags.None, got.RemoteEndPoint, stop.Token);
            }
        });
        await using var registry = new DnsServiceRegistry(new DnsDiscoveryOptions
        {
            Server = server.LocalEndPoint!.ToString()!,
            Timeout = TimeSpan.FromMilliseconds(300),
            Attempts = 2,
        });

        await Assert.ThrowsAsync<RegistryUnavailableException>(async () => await registry.ResolveAsync("echo"));
        Assert.Equal(2, registry.MalformedResponses);

        await stop.CancelAsync();
        try
        {
            await hostile;
        }
        catch (OperationCanceledException)
        {
        }
    }
}
