using System;

namespace Meshwork.Tars.Idl;

/// <summary>The text of one <c>.tars</c> file together with the path it is known by.</summary>
/// <remarks>
/// The path is used in error messages, to resolve <c>#include</c> directives relative to this file and to name the
/// generated C# file; it does not have to exist on disk.
/// </remarks>
public sealed class TarsIdlSource
{
    /// <summary>Creates a source from its path and text.</summary>
    /// <param name="path">The path the file is known by (non-empty).</param>
    /// <param name="text">The file's contents.</param>
    /// <exception cref="ArgumentException"><paramref name="path"/> is null or empty.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    public TarsIdlSource(string path, string text)
    {
        if (string.IsNullOrEmpty(path)) throw new ArgumentException("A .tars source needs a non-empty path.", nameof(path));
        Path = path;
        Text = text ?? throw new ArgumentNullException(nameof(text));
    }

    /// <summary>The path the file is known by.</summary>
    public string Path { get; }

    /// <summary>The file's contents.</summary>
    public string Text { get; }
}
