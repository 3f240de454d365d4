using System.Globalization;

namespace Meshwork.Tars.Idl;

/// <summary>An error in a <c>.tars</c> file, with the place it was found.</summary>
public sealed class TarsIdlDiagnostic
{
    internal TarsIdlDiagnostic(TarsIdlErrorCode code, string message, SourceSpan span)
    {
        Code = code;
        Message = message;
        Path = span.Path;
        Line = span.Line;
        Column = span.Column;
        Offset = span.Offset;
        Length = span.Length;
    }

    /// <summary>What kind of error this is.</summary>
    public TarsIdlErrorCode Code { get; }

    /// <summary>The diagnostic id, <c>MWT</c> followed by the three-digit <see cref="Code"/> (for example <c>MWT003</c>).</summary>
    public string Id => "MWT" + ((int)Code).ToString("000", CultureInfo.InvariantCulture);

    /// <summary>A sentence saying what is wrong and, where it helps, what would be right.</summary>
    public string Message { get; }

    /// <summary>The path of the file the error is in.</summary>
    public string Path { get; }

    /// <summary>The 1-based line of the error.</summary>
    public int Line { get; }

    /// <summary>The 1-based column of the error (counted in UTF-16 code units).</summary>
    public int Column { get; }

    /// <summary>The 0-based character offset of the error in its file.</summary>
    public int Offset { get; }

    /// <summary>The number of characters the error covers (at least 0).</summary>
    public int Length { get; }

    /// <summary>The error in the usual compiler form: <c>path(line,column): error MWT003: message</c>.</summary>
    public override string ToString() =>
        string.Format(CultureInfo.InvariantCulture, "{0}({1},{2}): error {3}: {4}", Path, Line, Column, Id, Message);
}
