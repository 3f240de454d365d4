namespace Meshwork.Tars;

/// <summary>
/// Bytes that are not a valid Tars encoding for what was asked of them: truncated data, an invalid type code, a wire
/// type the declared field cannot hold, a missing required field, a declared length larger than the bytes present, or
/// nesting deeper than the reader's limit. The message names the tag and the byte offset.
/// </summary>
public sealed class TarsDecodeException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="offset">Byte offset in the reader's buffer where the problem was found, or -1.</param>
    public TarsDecodeException(string message, int offset = -1)
        : base(offset >= 0 ? $"{message} (at byte {offset})" : message) => Offset = offset;

    /// <summary>Creates the exception with an inner cause.</summary>
    /// <param name="message">What was wrong.</param>
    /// <param name="innerException">The underlying failure.</param>
    public TarsDecodeException(string message, Exception innerException)
        : base(message, innerException) => Offset = -1;

    /// <summary>Byte offset in the reader's buffer where the problem was found, or -1 when unknown.</summary>
    public int Offset { get; }
}
