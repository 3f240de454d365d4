namespace Meshwork.Gossip.Wire;

/// <summary>CRC-32/IEEE (zlib polynomial), as used by memberlist's hasCrc header.</summary>
internal static class Crc32
{
    private static readonly uint[] Table = BuildTable();

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) { c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1; }
            table[i] = c;
        }
        return table;
    }

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) { crc = Table[(crc ^ b) & 0xff] ^ (crc >> 8); }
        return crc ^ 0xFFFFFFFFu;
    }
}
