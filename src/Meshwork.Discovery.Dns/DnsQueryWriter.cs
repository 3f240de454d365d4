using System.Buffers.Binary;

namespace Meshwork.Discovery.Dns;

/// <summary>Writes one DNS query (RFC 1035 §4.1) with recursion desired and, optionally, an EDNS(0) OPT record.</summary>
internal static class DnsQueryWriter
{
    /// <summary>Largest encoded name (RFC 1035 §2.3.4).</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Largest label (RFC 1035 §2.3.4).</summary>
    public const int MaxLabelBytes = 63;

    /// <summary>Header + longest name + type and class + OPT record: every query fits.</summary>
    public const int MaxQueryBytes = 12 + MaxNameBytes + 4 + 11;

    /// <summary>
    /// Checks that <paramref name="name"/> can be asked: ASCII, labels of 1..63 bytes, at most 255 bytes encoded.
    /// A single trailing dot (an absolute name) is allowed.
    /// </summary>
    /// <exception cref="ArgumentException">The name cannot be encoded; the message says why.</exception>
    public static void Validate(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length == 0) throw new ArgumentException($"DNS name '{name}' has no labels");
        if (trimmed.Length + 2 > MaxNameBytes) throw new ArgumentException($"DNS name '{name}' is longer than {MaxNameBytes} bytes encoded");
        int start = 0;
        for (int i = 0; i <= trimmed.Length; i++)
        {
            if (i < trimmed.Length && trimmed[i] != '.')
            {
                char c = trimmed[i];
                if (c > 0x7E || c <= 0x20) throw new ArgumentException($"DNS name '{name}' contains the character U+{(int)c:X4}; only printable ASCII is allowed");
                continue;
            }
            int length = i - start;
            if (length == 0) throw new ArgumentException($"DNS name '{name}' has an empty label");
            if (length > MaxLabelBytes) throw new ArgumentException($"DNS name '{name}' has a label longer than {MaxLabelBytes} bytes");
            start = i + 1;
        }
    }

    /// <summary>
    /// Writes the query into <paramref name="buffer"/> (at least <see cref="MaxQueryBytes"/> long) and returns its
    /// length. <paramref name="udpPayloadSize"/> &gt; 0 adds an OPT record advertising that receive size.
    /// </summary>
    public static int Write(Span<byte> buffer, ushort id, string name, DnsRecordType type, ushort udpPayloadSize)
    {
        Validate(name);
        BinaryPrimitives.WriteUInt16BigEndian(buffer, id);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0x0100); // standard query, recursion desired
        BinaryPrimitives.WriteUInt16BigEndian(buffer[4..], 1); // one question
        BinaryPrimitives.WriteUInt16BigEndian(buffer[6..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[8..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[10..], (ushort)(udpPayloadSize > 0 ? 1 : 0));
        int at = 12;
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        foreach (var label in trimmed.Split('.'))
        {
            buffer[at++] = (byte)label.Length;
            foreach (char c in label) buffer[at++] = (byte)c;
        }
        buffer[at++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], (ushort)type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], 1); // class IN
        at += 4;
        if (udpPayloadSize > 0)
        {
            buffer[at++] = 0; // root owner name
            BinaryPrimitives.WriteUInt16BigEndian(buffer[at..], (ushort)DnsRecordType.Opt);
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 2)..], udpPayloadSize); // the class field carries the payload size
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(at + 4)..], 0); // extended rcode, version 0, no flags
            BinaryPrimitives.WriteUInt16BigEndian(buffer[(at + 8)..], 0); // no options
            at += 10;
        }
        return at;
    }
}
