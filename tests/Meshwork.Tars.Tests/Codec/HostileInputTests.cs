namespace Meshwork.Tars.Tests.Codec;

/// <summary>
/// Random and mutated bytes into the decoder: every outcome is either a value or a <see cref="TarsDecodeException"/>,
/// decoding always ends, and the memory it allocates is bounded by a small multiple of the input size (a declared
/// length is checked before anything is allocated).
/// </summary>
public sealed class HostileInputTests
{
    private static readonly byte[][] Seeds =
    [
        Hex.Bytes("10012c3c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66066d6972726f727d0000211a000716026869230000011f71fb04cb3d00000301020348000106016b1601760b810bb8980ca80c"),
        Hex.Bytes("10032c3c4002561b4d657368546573742e4563686f5365727665722e4563686f4f626a66036164647d0000150800020601611d00000200020601621d0000020028810bb8980ca80c"),
        Hex.Bytes("0a000816026869230000011f71fb04cb3d00000303020148000106016b1601760b"),
        Hex.Bytes("1a00051601787607756e6b6e6f776ef2140001e2400b"),
    ];

    [Fact]
    public void Mutated_and_random_bytes_never_crash_hang_or_allocate_without_bound()
    {
        var random = new Random(20261130);
        for (int i = 0; i < 30_000; i++)
        {
            byte[] input = i % 3 == 0 ? RandomBytes(random) : Mutate(random, Seeds[random.Next(Seeds.Length)]);
            long before = GC.GetAllocatedBytesForCurrentThread();
            DecodeEverything(input);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated <= 64L * input.Length + 16_384,
                $"decoding {input.Length} bytes allocated {allocated} bytes: {Hex.Of(input)}");
        }
    }

    private static void DecodeEverything(byte[] input)
    {
        try
        {
            var skip = new TarsReader(input);
            while (!skip.End) skip.SkipField();
        }
        catch (TarsDecodeException)
        {
        }
        try
        {
            var typed = new TarsReader(input);
            typed.ReadStruct(0, false, new Pair());
            typed.ReadStruct(1, false, new Pair());
        }
        catch (TarsDecodeException)
        {
        }
        try
        {
            var node = new TarsReader(input);
            node.ReadStruct(0, false, new Node());
        }
        catch (TarsDecodeException)
        {
        }
    }

    private static byte[] RandomBytes(Random random)
    {
        var b = new byte[random.Next(0, 64)];
        random.NextBytes(b);
        return b;
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var b = (byte[])seed.Clone();
        int edits = random.Next(1, 6);
        for (int e = 0; e < edits; e++)
        {
            switch (random.Next(4))
            {
                case 0: b[random.Next(b.Length)] = (byte)random.Next(256); break;
                case 1: b[random.Next(b.Length)] ^= (byte)(1 << random.Next(8)); break;
                case 2: b = b[..random.Next(1, b.Length + 1)]; break;
                default: b[random.Next(b.Length)] = random.Next(2) == 0 ? (byte)0xFF : (byte)0x7F; break;
            }
            if (b.Length == 0) b = [0];
        }
        return b;
    }
}
