using System.Buffers.Binary;
using System.Text;

namespace Meshwork.Discovery.ZooKeeper.Protocol;

/// <summary>
/// Reads jute records from one received frame. Every read checks the bytes left first, so a truncated or lying frame
/// (a string length beyond the frame, a vector count that cannot fit) fails with a
/// <see cref="ZooKeeperErrorCode.MarshallingError"/> naming the record instead of reading garbage or allocating.
/// </summary>
internal ref struct JuteReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _record;
    private int _position;

    public JuteReader(ReadOnlySpan<byte> data, string record)
    {
        _data = data;
        _record = record;
    }

    public readonly int Remaining => _data.Length - _position;

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count < 0 || count > Remaining)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError,
                $"malformed {_record}: field '{field}' needs {count} bytes but the frame has {Remaining} left");
        }
        var span = _data.Slice(_position, count);
        _position += count;
        return span;
    }

    public int ReadInt(string field) => BinaryPrimitives.ReadInt32BigEndian(Take(4, field));

    public long ReadLong(string field) => BinaryPrimitives.ReadInt64BigEndian(Take(8, field));

    public bool ReadBool(string field) => Take(1, field)[0] != 0;

    private int ReadLength(string field)
    {
        int length = ReadInt(field);
        if (length < -1 || length > Remaining)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError,
                $"malformed {_record}: field '{field}' claims {length} bytes but the frame has {Remaining} left");
        }
        return length;
    }

    public string? ReadString(string field)
    {
        int length = ReadLength(field);
        if (length < 0) return null;
        try
        {
            return StrictUtf8.GetString(Take(length, field));
        }
        catch (DecoderFallbackException e)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError, $"malformed {_record}: field '{field}' is not UTF-8", inner: e);
        }
    }

    public byte[]? ReadBuffer(string field)
    {
        int length = ReadLength(field);
        return length < 0 ? null : Take(length, field).ToArray();
    }

    public string[] ReadStringVector(string field)
    {
        int count = ReadInt(field);
        if (count == -1) return [];
        // Each string takes at least its 4-byte length: a count that cannot fit is refused before allocating.
        if (count < 0 || count > Remaining / 4)
        {
            throw new ZooKeeperException(ZooKeeperErrorCode.MarshallingError,
                $"malformed {_record}: field '{field}' claims {count} entries but the frame has {Remaining} bytes left");
        }
        var items = new string[count];
        for (int i = 0; i < count; i++) items[i] = ReadString(field) ?? "";
        return items;
    }

    public ZNodeStat ReadStat() => new(
        Czxid: ReadLong("stat.czxid"),
        Mzxid: ReadLong("stat.mzxid"),
        Ctime: ReadLong("stat.ctime"),
        Mtime: ReadLong("stat.mtime"),
        Version: ReadInt("stat.version"),
        Cversion: ReadInt("stat.cversion"),
        Aversion: ReadInt("stat.aversion"),
        EphemeralOwner: ReadLong("stat.ephemeralOwner"),
        DataLength: ReadInt("stat.dataLength"),
        NumChildren: ReadInt("stat.numChildren"),
        Pzxid: ReadLong("stat.pzxid"));
}
