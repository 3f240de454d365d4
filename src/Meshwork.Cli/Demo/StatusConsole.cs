using System.Text;

namespace Meshwork.Cli.Demo;

/// <summary>
/// Keeps a status block at the bottom of a terminal while other text scrolls above it: replaces
/// <see cref="Console.Out"/>, and around every write of the demo's narrative erases the block (ANSI "cursor to the
/// start of the line N up" and "erase below") and draws it again after each complete line.
/// </summary>
internal sealed class StatusConsole : TextWriter
{
    private readonly TextWriter _terminal;
    private readonly Lock _gate = new();
    private string[] _block = [];
    private bool _midLine;

    private StatusConsole(TextWriter terminal) => _terminal = terminal;

    public override Encoding Encoding => _terminal.Encoding;

    public static StatusConsole Install()
    {
        var console = new StatusConsole(Console.Out);
        Console.SetOut(console);
        return console;
    }

    /// <summary>Leaves the last block on screen and gives the terminal back.</summary>
    public void Uninstall()
    {
        lock (_gate)
        {
            Console.SetOut(_terminal);
            _block = [];
        }
    }

    /// <summary>Replaces the block with <paramref name="lines"/>.</summary>
    public void ShowBlock(string[] lines)
    {
        lock (_gate)
        {
            Erase();
            _block = lines;
            if (!_midLine) Draw();
        }
    }

    public override void Write(char value) => Write(value.ToString());

    public override void Write(string? value)
    {
        if (string.IsNullOrEmpty(value)) return;
        lock (_gate)
        {
            if (!_midLine) Erase();
            _terminal.Write(value);
            _midLine = !value.EndsWith('\n');
            if (!_midLine) Draw();
        }
    }

    public override void WriteLine(string? value) => Write((value ?? "") + Environment.NewLine);

    public override void WriteLine() => Write(Environment.NewLine);

    public override void Flush() => _terminal.Flush();

    private int _drawn;

    private void Erase()
    {
        if (_drawn == 0) return;
        _terminal.Write($"\u001b[{_drawn}F\u001b[J");
        _drawn = 0;
    }

    private void Draw()
    {
        if (_block.Length == 0) return;
        int width = Math.Max(20, SafeWidth() - 1);
        foreach (var line in _block)
        {
            // Wider lines would wrap and the erase would miss their extra rows: cut them to the terminal's width.
            _terminal.Write("\u001b[7m \u001b[0m " + (line.Length > width - 2 ? line[..(width - 3)] + "…" : line) + "\n");
        }
        _drawn = _block.Length;
        _terminal.Flush();
    }

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 120;
        }
        catch (IOException)
        {
            return 120;
        }
    }
}
