using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Rpc.Protocol;

/// <summary>
/// Encodes and decodes <see cref="FrameHeader"/> as a MessagePack map with small integer keys.
/// Hand-written over spans because the header is on every frame: no allocations when encoding, and when
/// decoding only for metadata and status messages (service and method names go through an interner).
/// Unknown keys are skipped so that later protocol revisions can add fields.
/// </summary>
internal static class HeaderCodec
{
    internal const byte KeyRequestId = 0, KeyService = 1, KeyMethod = 2, KeyTimeout = 3, KeyMetadata = 4,
        KeySerializer = 5, KeyCompression = 6, KeyStatus = 7, KeyStatusMessage = 8, KeyKind = 9, KeyWindow = 10;

    /// <summary>Upper bound of the encoded size, used to size the destination span.</summary>
    public static int GetMaxSize(in FrameHeader h)
    {
        int size = 1 + 10 + 10 + 10 + 3 * 2 + 6 + 6 + 6;
        size += (h.EncodedNames is { } names ? names.Length : StrMax(h.Service) + StrMax(h.Method)) + StrMax(h.StatusMessage) + 4;
        if (h.Metadata is { Count: > 0 } md)
        {
            size += 6;
            foreach (var kv in md)
            {
                size += StrMax(kv.Key) + StrMax(kv.Value);
            }
        }
        return size;
    }

    private static int StrMax(string? s) => s is null ? 0 : 6 + Encoding.UTF8.GetMaxByteCount(s.Length);

    /// <summary>Writes the header; returns the number of bytes written. <paramref name="dest"/> must be at least <see cref="GetMaxSize"/> long.</summary>
    public static int Write(in FrameHeader h, Span<byte> dest)
    {
        int count = 0;
        if (h.RequestId != 0) count++;
        if (h.EncodedNames is not null) count += 2;
        else
        {
            if (h.Service is not null) count++;
            if (h.Method is not null) count++;
        }
        if (h.TimeoutMicros > 0) count++;
        if (h.Metadata is { Count: > 0 }) count++;
        if (h.Serializer != 0) count++;
        if (h.Compression != 0) count++;
        if (h.Status != StatusCode.OK) count++;
        if (h.StatusMessage is not null) count++;
        if (h.Kind != CallKind.Unary) count++;
        if (h.Window != 0) count++;

        int p = 0;
        dest[p++] = (byte)(0x80 | count);
        if (h.RequestId != 0) { dest[p++] = KeyRequestId; p += WriteUInt(dest[p..], h.RequestId); }
        if (h.EncodedNames is { } names)
        {
            names.CopyTo(dest[p..]);
            p += names.Length;
        }
        else
        {
            if (h.Service is not null) { dest[p++] = KeyService; p += WriteStr(dest[p..], h.Service); }
            if (h.Method is not null) { dest[p++] = KeyMethod; p += WriteStr(dest[p..], h.Method); }
        }
        if (h.TimeoutMicros > 0) { dest[p++] = KeyTimeout; p += WriteUInt(dest[p..], (ulong)h.TimeoutMicros); }
        if (h.Metadata is { Count: > 0 } md)
        {
            dest[p++] = KeyMetadata;
            p += WriteMapHeader(dest[p..], md.Count);
            foreach (var kv in md)
            {
                p += WriteStr(dest[p..], kv.Key);
                p += WriteStr(dest[p..], kv.Value);
            }
        }
        if (h.Serializer != 0) { dest[p++] = KeySerializer; p += WriteUInt(dest[p..], h.Serializer); }
        if (h.Compression != 0) { dest[p++] = KeyCompression; p += WriteUInt(dest[p..], h.Compression); }
        if (h.Status != StatusCode.OK) { dest[p++] = KeyStatus; p += WriteUInt(dest[p..], (ulong)h.Status); }
        if (h.StatusMessage is not null) { dest[p++] = KeyStatusMessage; p += WriteStr(dest[p..], h.StatusMessage); }
        if (h.Kind != CallKind.Unary) { dest[p++] = KeyKind; p += WriteUInt(dest[p..], (ulong)h.Kind); }
        if (h.Window != 0) { dest[p++] = KeyWindow; p += WriteUInt(dest[p..], h.Window); }
        return p;
    }

    /// <summary>The service and method entries of a header (key and name each), for <see cref="FrameHeader.EncodedNames"/>.</summary>
    public static byte[] EncodeNames(string service, string method)
    {
        var buffer = new byte[2 + StrMax(service) + StrMax(method)].AsSpan();
        int p = 0;
        buffer[p++] = KeyService;
        p += WriteStr(buffer[p..], service);
        buffer[p++] = KeyMethod;
        p += WriteStr(buffer[p..], method);
        return buffer[..p].ToArray();
    }

    private static int WriteUInt(Span<byte> d, ulong v)
    {
        if (v <= 0x7F) { d[0] = (byte)v; return 1; }
        if (v <= byte.MaxValue) { d[0] = 0xCC; d[1] = (byte)v; return 2; }
        if (v <= ushort.MaxValue) { d[0] = 0xCD; BinaryPrimitives.WriteUInt16BigEndian(d[1..], (ushort)v); return 3; }
        if (v <= uint.MaxValue) { d[0] = 0xCE; BinaryPrimitives.WriteUInt32BigEndian(d[1..], (uint)v); return 5; }
        d[0] = 0xCF; BinaryPrimitives.WriteUInt64BigEndian(d[1..], v); return 9;
    }

    private static int WriteMapHeader(Span<byte> d, int n)
    {
        if (n <= 15) { d[0] = (byte)(0x80 | n); return 1; }
        if (n <= ushort.MaxValue) { d[0] = 0xDE; BinaryPrimitives.WriteUInt16BigEndian(d[1..], (ushort)n); return 3; }
        d[0] = 0xDF; BinaryPrimitives.WriteUInt32BigEndian(d[1..], (uint)n); return 5;
    }

    private static int WriteStr(Span<byte> d, string s)
    {
        // Encode first into the worst-case offset, then move if a shorter length prefix suffices.
        int n;
        if (s.Length <= 10)
        {
            n = Encoding.UTF8.GetBytes(s, d[1..]);
            if (n <= 31) { d[0] = (byte)(0xA0 | n); return 1 + n; }
            d.Slice(1, n).CopyTo(d[2..]);
            d[0] = 0xD9; d[1] = (byte)n; return 2 + n;
        }
        n = Encoding.UTF8.GetBytes(s, d[5..]);
        int hdr = n <= 31 ? 1 : n <= byte.MaxValue ? 2 : n <= ushort.MaxValue ? 3 : 5;
        if (hdr != 5)
        {
            d.Slice(5, n).CopyTo(d[hdr..]);
        }
        switch (hdr)
        {
            case 1: d[0] = (byte)(0xA0 | n); break;
            case 2: d[0] = 0xD9; d[1] = (byte)n; break;
            case 3: d[0] = 0xDA; BinaryPrimitives.WriteUInt16BigEndian(d[1..], (ushort)n); break;
            default: d[0] = 0xDB; BinaryPrimitives.WriteUInt32BigEndian(d[1..], (uint)n); break;
        }
        return hdr + n;
    }

    /// <summary>Decodes a header. Throws <see cref="ProtocolException"/> for anything that is not a well-formed header map.</summary>
    public static void Read(ReadOnlySpan<byte> src, ref FrameHeader h, Utf8StringCache? names)
    {
        var r = new SpanReader(src);
        int count = r.ReadMapHeader();
        for (int i = 0; i < count; i++)
        {
            ulong key = r.ReadUInt();
            switch (key)
            {
                case KeyRequestId: h.RequestId = r.ReadUInt(); break;
                case KeyService: h.Service = r.ReadName(names, isMethod: false); break;
                case KeyMethod: h.Method = r.ReadName(names, isMethod: true); break;
                case KeyTimeout: h.TimeoutMicros = (long)Math.Min(r.ReadUInt(), long.MaxValue); break;
                case KeyMetadata:
                    int n = r.ReadMapHeader();
                    var md = new Metadata(n);
                    for (int j = 0; j < n; j++)
                    {
                        string k = r.ReadString();
                        string v = r.ReadString();
                        if (k.Length == 0) throw new ProtocolException("header metadata has an empty key");
                        md.Add(k, v);
                    }
                    h.Metadata = md;
                    break;
                case KeySerializer: h.Serializer = (byte)r.ReadUInt(max: byte.MaxValue); break;
                case KeyCompression: h.Compression = (byte)r.ReadUInt(max: byte.MaxValue); break;
                case KeyStatus: h.Status = (StatusCode)r.ReadUInt(max: 255); break;
                case KeyStatusMessage: h.StatusMessage = r.ReadString(); break;
                case KeyKind: h.Kind = (CallKind)r.ReadUInt(max: (ulong)CallKind.OneWay); break;
                case KeyWindow: h.Window = (uint)r.ReadUInt(max: uint.MaxValue); break;
                default: r.Skip(0); break;
            }
        }
        if (!r.AtEnd)
        {
            throw new ProtocolException($"header has {r.Remaining} trailing bytes after its map");
        }
    }
}
