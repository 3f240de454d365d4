using System.Text;

namespace Meshwork.Cli;

/// <summary>A plain-text table: columns padded to their widest cell, two spaces apart, no trailing blanks.</summary>
internal sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [headers];

    public void Add(params string[] cells) => _rows.Add(cells);

    public override string ToString()
    {
        var widths = new int[headers.Length];
        foreach (var row in _rows)
        {
            for (int i = 0; i < row.Length; i++) widths[i] = Math.Max(widths[i], row[i].Length);
        }
        var text = new StringBuilder();
        foreach (var row in _rows)
        {
            var line = new StringBuilder();
            for (int i = 0; i < row.Length; i++)
            {
                if (i > 0) line.Append("  ");
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i]));
            }
            text.AppendLine(line.ToString().TrimEnd());
        }
        return text.ToString();
    }
}
