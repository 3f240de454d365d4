using Meshwork.Tars;

namespace Meshwork.Bench.Tars;

/// <summary>Encode and decode of <see cref="BenchUser"/> with Meshwork's Tars codec (struct at tag 0, into a reused pooled buffer).</summary>
internal static class CodecBench
{
    public static (Measure.Result Encode, Measure.Result Decode, string Hex) Run(TimeSpan warmup, TimeSpan round, int rounds)
    {
        var user = BenchUser.Sample();
        using var buffer = new TarsBufferWriter(1024);
        var encode = Measure.Run(() =>
        {
            buffer.Clear();
            var writer = new TarsWriter(buffer);
            writer.WriteStruct(0, user);
            return buffer.WrittenCount;
        }, warmup, round, rounds);

        buffer.Clear();
        var w = new TarsWriter(buffer);
        w.WriteStruct(0, user);
        byte[] encoded = buffer.WrittenSpan.ToArray();
        var decode = Measure.Run(() =>
        {
            var reader = new TarsReader(encoded);
            return reader.ReadStruct(0, true, default(BenchUser)!).Age;
        }, warmup, round, rounds);
        return (encode, decode, Convert.ToHexStringLower(encoded));
    }
}
