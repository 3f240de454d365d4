namespace Meshwork.Tars.Tests.Codec;

internal static class Hex
{
    public static byte[] Bytes(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string Of(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public delegate void Encode(ref TarsWriter writer);

    public static string Write(Encode encode)
    {
        using var buffer = new TarsBufferWriter();
        var writer = new TarsWriter(buffer);
        encode(ref writer);
        return Of(buffer.WrittenSpan);
    }
}
