namespace Meshwork.Tars.Idl;

/// <summary>A place in a source file: path, 1-based line and column, 0-based offset and length.</summary>
internal readonly record struct SourceSpan(string Path, int Line, int Column, int Offset, int Length);
