namespace Meshwork.Tars.Idl;

/// <summary>One generated C# file.</summary>
public sealed class TarsGeneratedFile
{
    internal TarsGeneratedFile(string sourcePath, string fileName, string text)
    {
        SourcePath = sourcePath;
        FileName = fileName;
        Text = text;
    }

    /// <summary>The path of the <c>.tars</c> file this was generated from.</summary>
    public string SourcePath { get; }

    /// <summary>The file name to save it as (no folder), for example <c>user.tars.g.cs</c>.</summary>
    public string FileName { get; }

    /// <summary>The C# source.</summary>
    public string Text { get; }
}
