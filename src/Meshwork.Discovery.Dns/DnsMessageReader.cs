using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Meshwork.Discovery.Dns;

/// <summary>
/// Parses a DNS response defensively: every length, count and compression pointer is checked against the message
/// bounds, pointers must point backwards (so they cannot loop) and are limited in number, and names are limited to
/// 255 bytes. Anything else is a <see cref="DnsFormatException"/>. Records of types this client does not use are skipped.
/// </summary>
internal static class DnsMessageReader
{
    private const int HeaderBytes = 12;

    /// <summary>More jumps than any legal name needs (a 255-byte name has at most 127 labels).</summary>
    private const int MaxPointerJumps = 127;

    public static DnsResponse Parse(ReadOnlySpan<byte> message)
    {
        if (message.Length < HeaderBytes) throw new DnsFormatException($"message of {message.Length} bytes is shorter than the 12-byte header");
        ushort id = BinaryPrimitives.ReadUInt16BigEndian(message);
        ushort flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        if ((flags & 0x8000) == 0) throw new DnsFormatException("message is a query, not a response");
        int questions = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        int authority = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        int additional = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);
        bool truncated = (flags & 0x0200) != 0;
        var code = (DnsResponseCode)(flags & 0x000F);

        int at = HeaderBytes;
        string? questionName = null;
        ushort questionType = 0;
        for (int i = 0; i < questions; i++)
        {
            var name = ReadName(message, ref at);
            Need(message, at, 4, "question");
            if (i == 0)
            {
                questionName = name;
                questionType = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
            }
            at += 4;
        }
        var answerRecords = new List<DnsRecord>(Math.Min(answers, 64));
        var additionalRecords = new List<DnsRecord>(Math.Min(additional, 64));
        // A truncated message may end mid-record: what was read completely is kept, the caller retries over TCP anyway.
        try
        {
            ReadSection(message, ref at, answers, answerRecords);
            ReadSection(message, ref at, authority, null);
            ReadSection(message, ref at, additional, additionalRecords);
        }
        catch (DnsFormatException) when (truncated)
        {
        }
        return new DnsResponse
        {
            Id = id,
            Truncated = truncated,
            Code = code,
            QuestionName = questionName,
            QuestionType = questionType,
            Answers = answerRecords,
            Additional = additionalRecords,
        };
    }

    private static void Need(ReadOnlySpan<byte> message, int at, int count, string what)
    {
        if (at < 0 || count < 0 || at > message.Length - count)
        {
            throw new DnsFormatException($"{what} needs {count} bytes at offset {at} but the message has {message.Length}");
        }
    }

    private static void ReadSection(ReadOnlySpan<byte> message, ref int at, int count, List<DnsRecord>? into)
    {
        for (int i = 0; i < count; i++)
        {
            var owner = ReadName(message, ref at);
            Need(message, at, 10, "record header");
            var type = (DnsRecordType)BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
            ushort @class = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
            uint ttl = BinaryPrimitives.ReadUInt32BigEndian(message[(at + 4)..]);
            if (ttl > int.MaxValue) ttl = 0; // RFC 2181 §8: a TTL with the top bit set is read as zero
            int length = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 8)..]);
            at += 10;
            Need(message, at, length, $"record data of {owner}");
            int end = at + length;
            if (into is not null && @class == 1)
            {
                var record = ReadData(message, owner, type, ttl, at, end);
                if (record is not null) into.Add(record);
            }
            at = end;
        }
    }

    private static DnsRecord? ReadData(ReadOnlySpan<byte> message, string owner, DnsRecordType type, uint ttl, int at, int end)
    {
        int length = end - at;
        switch (type)
        {
            case DnsRecordType.A:
                if (length != 4) throw new DnsFormatException($"A record of {owner} has {length} data bytes instead of 4");
                return new AddressRecord(owner, ttl, new IPAddress(message.Slice(at, 4)));
            case DnsRecordType.Aaaa:
                if (length != 16) throw new DnsFormatException($"AAAA record of {owner} has {length} data bytes instead of 16");
                return new AddressRecord(owner, ttl, new IPAddress(message.Slice(at, 16)));
            case DnsRecordType.Srv:
            {
                if (length < 7) throw new DnsFormatException($"SRV record of {owner} has {length} data bytes, fewer than 7");
                ushort priority = BinaryPrimitives.ReadUInt16BigEndian(message[at..]);
                ushort weight = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 2)..]);
                ushort port = BinaryPrimitives.ReadUInt16BigEndian(message[(at + 4)..]);
                int nameAt = at + 6;
                var target = ReadName(message, ref nameAt);
                if (nameAt != end) throw new DnsFormatException($"SRV record of {owner}: the target name does not end where the record data does");
                return new SrvRecord(owner, ttl, priority, weight, port, target);
            }
            case DnsRecordType.Cname:
            {
                int nameAt = at;
                var target = ReadName(message, ref nameAt);
                if (nameAt != end) throw new DnsFormatException($"CNAME record of {owner}: the name does not end where the record data does");
                return new CnameRecord(owner, ttl, target);
            }
            default:
                return null;
        }
    }

    /// <summary>
    /// Reads a possibly compressed name at <paramref name="at"/> and moves <paramref name="at"/> past it (past the
    /// first pointer, if any). Returns it lower case without the trailing dot; the root is the empty string.
    /// </summary>
    public static string ReadName(ReadOnlySpan<byte> message, ref int at)
    {
        var name = new StringBuilder(64);
        int position = at;
        int next = -1; // where the caller continues: after the first pointer, or after the terminating zero
        int jumps = 0;
        int encoded = 1; // the terminating zero
        while (true)
        {
            Need(message, position, 1, "name");
            byte length = message[position];
            if ((length & 0xC0) == 0xC0)
            {
                Need(message, position, 2, "compression pointer");
                int target = ((length & 0x3F) << 8) | message[position + 1];
                // Pointers must point backwards: a name can then never reach itself, whatever the message holds.
                if (target >= position) throw new DnsFormatException($"compression pointer at {position} points forward to {target}");
                if (++jumps > MaxPointerJumps) throw new DnsFormatException($"more than {MaxPointerJumps} compression pointers in one name");
                if (next < 0) next = position + 2;
                position = target;
                continue;
            }
            if ((length & 0xC0) != 0) throw new DnsFormatException($"label type 0x{length & 0xC0:X2} at {position} is not supported");
            if (length == 0)
            {
                at = next >= 0 ? next : position + 1;
                return name.ToString();
            }
            Need(message, position + 1, length, "label");
            encoded += length + 1;
            if (encoded > DnsQueryWriter.MaxNameBytes) throw new DnsFormatException($"name longer than {DnsQueryWriter.MaxNameBytes} bytes");
            if (name.Length > 0) name.Append('.');
            foreach (byte b in message.Slice(position + 1, length))
            {
                // Only printable ASCII without dots: such names can be asked again (SRV targets) and logged safely.
                if (b == (byte)'.' || b <= 0x20 || b > 0x7E) throw new DnsFormatException($"a label contains the byte 0x{b:X2}");
                name.Append((char)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b));
            }
            position += length + 1;
        }
    }
}
