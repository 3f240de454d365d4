using System.Text;

namespace Meshwork.Tars.Idl.Emit;

/// <summary>Builds source text with four-space indentation and '\n' line ends (the repository's style).</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();

    public int Indent { get; set; }

    public void Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', Indent * 4).Append(line);
        _text.Append('\n');
    }

    public void Open()
    {
        Line("{");
        Indent++;
    }

    public void Close(string suffix = "")
    {
        Indent--;
        Line("}" + suffix);
    }

    /// <summary>Writes a <c>&lt;summary&gt;</c> doc comment; <paramref name="xml"/> must already be escaped.</summary>
    public void Summary(string xml) => Line("/// <summary>" + xml + "</summary>");

    public override string ToString() => _text.ToString();
}
