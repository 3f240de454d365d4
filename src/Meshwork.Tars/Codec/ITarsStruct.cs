namespace Meshwork.Tars;

/// <summary>
/// A Tars struct that can write its own fields. Implemented by generated code (and by hand for framework structs).
/// </summary>
public interface ITarsWritable
{
    /// <summary>
    /// Writes this struct's fields in ascending tag order, WITHOUT the surrounding STRUCT_BEGIN/STRUCT_END (the caller,
    /// e.g. <see cref="TarsWriter.WriteStruct{T}(int, T)"/>, writes those). Top-level buffers (a v1 <c>sBuffer</c>, a frame
    /// body) are written the same way, unwrapped.
    /// </summary>
    /// <param name="writer">Where to write.</param>
    void WriteTo(ref TarsWriter writer);
}

/// <summary>
/// A Tars struct that can be written and read. Generated records implement this; <see cref="TarsWriter.WriteStruct{T}(int, T)"/>
/// and <see cref="TarsReader.ReadStruct{T}(int, bool, T)"/> use it for nested structs, lists and map values.
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface ITarsStruct<TSelf> : ITarsWritable where TSelf : ITarsStruct<TSelf>
{
    /// <summary>
    /// The TUP v2 type name, <c>Module.StructName</c> as spelled in the IDL (e.g. <c>MeshTest.Pair</c>).
    /// </summary>
    static abstract string TarsTypeName { get; }

    /// <summary>
    /// Reads this struct's fields from <paramref name="reader"/>, positioned at the first field after STRUCT_BEGIN (or at
    /// the start of a top-level buffer). Fields start at their IDL defaults; each known field is read by tag (required
    /// ones with <c>required: true</c>); the implementation must NOT consume the STRUCT_END (the caller skips any
    /// unknown trailing fields and the end marker).
    /// </summary>
    /// <param name="reader">The reader.</param>
    /// <returns>The decoded value.</returns>
    static abstract TSelf ReadFrom(ref TarsReader reader);
}

/// <summary>Writes one value at a tag; used for list elements and map keys/values.</summary>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="writer">Where to write.</param>
/// <param name="tag">The tag (0 for list elements and map keys, 1 for map values).</param>
/// <param name="value">The value.</param>
public delegate void TarsValueWriter<in T>(ref TarsWriter writer, int tag, T value);

/// <summary>Reads one required value at a tag; used for list elements and map keys/values.</summary>
/// <typeparam name="T">The value type.</typeparam>
/// <param name="reader">Where to read.</param>
/// <param name="tag">The tag (0 for list elements and map keys, 1 for map values).</param>
/// <returns>The value.</returns>
public delegate T TarsValueReader<out T>(ref TarsReader reader, int tag);
