using Meshwork.Gossip;
using Meshwork.Gossip.Wire;

namespace Meshwork.Serf.Coordinates;

/// <summary>Carries Vivaldi coordinates in acks (<c>01 | msgpack Coordinate</c>) and updates ours from probe RTTs.</summary>
internal sealed class SerfPingDelegate(CoordinateClient client) : IPingDelegate
{
    private const byte PingVersion = 1;

    public Dictionary<string, Coordinate> Cache { get; } = new(StringComparer.Ordinal);

    public int Errors { get; private set; }

    public byte[]? AckPayload()
    {
        var w = new MsgPackWriter(160);
        w.WriteByte(PingVersion);
        client.Coordinate.Write(w);
        return w.ToArray();
    }

    public void NotifyPingComplete(Node other, TimeSpan rtt, ReadOnlySpan<byte> payload)
    {
        if (payload.Length == 0) { return; }
        if (payload[0] != PingVersion) { Errors++; return; }
        try
        {
            var r = new MsgPackReader(payload[1..]);
            var coordinate = Coordinate.Read(ref r);
            client.Update(other.Name, coordinate, rtt);
            Cache[other.Name] = coordinate;
        }
        catch (Exception e) when (e is WireFormatException or ArgumentException or OverflowException)
        {
            Errors++;
        }
    }
}
