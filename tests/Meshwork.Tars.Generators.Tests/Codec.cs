namespace Meshwork.Tars.Generators.Tests;

/// <summary>Encodes and decodes generated structs with the real Meshwork.Tars codec.</summary>
internal static class Codec
{
    public static string StructHex<T>(int tag, T value) where T : ITarsStruct<T>
    {
        using var buffer = new TarsBufferWriter();
        var writer = new TarsWriter(buffer);
        writer.WriteStruct(tag, value);
        return Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
    }

    public static string FieldsHex<T>(T value) where T : ITarsStruct<T>
    {
        using var buffer = new TarsBufferWriter();
        var writer = new TarsWriter(buffer);
        value.WriteTo(ref writer);
        return Convert.ToHexString(buffer.WrittenSpan).ToLowerInvariant();
    }

    public static T ReadStruct<T>(int tag, string hex) where T : ITarsStruct<T>
    {
        var reader = new TarsReader(Convert.FromHexString(hex));
        return reader.ReadStruct<T>(tag, true, default!);
    }

    public static T RoundTrip<T>(T value) where T : ITarsStruct<T> => ReadStruct<T>(0, StructHex(0, value));
}
