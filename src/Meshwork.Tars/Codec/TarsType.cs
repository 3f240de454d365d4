namespace Meshwork.Tars;

/// <summary>The type code in the low nibble of a Tars field head (codes 14 and 15 do not exist on the wire).</summary>
public enum TarsType : byte
{
    /// <summary>1-byte signed integer (also bool and the TARS <c>byte</c>).</summary>
    Int1 = 0,
    /// <summary>2-byte big-endian signed integer.</summary>
    Int2 = 1,
    /// <summary>4-byte big-endian signed integer.</summary>
    Int4 = 2,
    /// <summary>8-byte big-endian signed integer.</summary>
    Int8 = 3,
    /// <summary>IEEE-754 binary32, big-endian.</summary>
    Float = 4,
    /// <summary>IEEE-754 binary64, big-endian.</summary>
    Double = 5,
    /// <summary>String with a 1-byte length.</summary>
    String1 = 6,
    /// <summary>String with a 4-byte big-endian length.</summary>
    String4 = 7,
    /// <summary>Map: a tag-0 integer count, then key (tag 0) / value (tag 1) pairs.</summary>
    Map = 8,
    /// <summary>List: a tag-0 integer count, then the elements at tag 0.</summary>
    List = 9,
    /// <summary>Start of a nested struct; its fields follow until <see cref="StructEnd"/>.</summary>
    StructBegin = 10,
    /// <summary>End of a nested struct (always written with tag 0).</summary>
    StructEnd = 11,
    /// <summary>The numeric value 0, with no payload.</summary>
    Zero = 12,
    /// <summary>A byte vector: an element head <c>00</c>, a tag-0 integer length, then the raw bytes.</summary>
    SimpleList = 13,
}
