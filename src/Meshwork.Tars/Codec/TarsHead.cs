namespace Meshwork.Tars;

/// <summary>A decoded field head: the field's tag (0..255) and its wire type.</summary>
/// <param name="Tag">The field tag, 0..255.</param>
/// <param name="Type">The wire type code.</param>
public readonly record struct TarsHead(int Tag, TarsType Type)
{
    /// <summary>The largest tag the encoding can express (the IDL rejects larger ones).</summary>
    public const int MaxTag = 255;

    /// <summary>Bytes the head occupies on the wire: 1 for tags 0..14, 2 for 15..255.</summary>
    public int EncodedLength => Tag < 15 ? 1 : 2;
}
