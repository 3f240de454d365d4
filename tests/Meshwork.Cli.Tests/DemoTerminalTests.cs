using System.Globalization;
using System.Text.RegularExpressions;

namespace Meshwork.Cli.Tests;

/// <summary>
/// <c>meshwork demo</c> on a real terminal: run under a pseudo-terminal (util-linux <c>script</c>), its status block is
/// erased and drawn again in place below the narrative instead of being printed as <c>[status]</c> lines. The whole
/// terminal transcript is kept under .test-logs/ as a test artifact.
/// </summary>
[Collection(DemoDashboardCollection.Name)]
public sealed class DemoTerminalTests
{
    /// <summary>The block is the three status lines and the dashboard URL.</summary>
    private const int BlockLines = 4;

    /// <summary>"Cursor to the start of the line 4 up", then "erase to the end of the screen": the old block goes.</summary>
    private static readonly string EraseBlock = $"\u001b[{BlockLines}F\u001b[J";

    /// <summary>Each block line starts with a reverse-video cell.</summary>
    private const string BlockLineStart = "\u001b[7m \u001b[0m ";

    [Fact]
    public async Task On_a_terminal_the_demo_redraws_its_status_block_in_place_with_the_current_figures()
    {
        Assert.True(File.Exists("/usr/bin/script"), "/usr/bin/script (util-linux) is missing");
        var transcript = Artifact("demo-tty-transcript.txt");
        File.Delete(transcript);
        // A fixed, wide window so that no status line is cut to the terminal's width; exec so the demo owns the terminal.
        string command = $"stty cols 250 rows 60 && exec dotnet {Quote(MeshworkCli.BinaryPath)} demo --nodes 1 --calls 50 --status-interval 0.5 --linger 3";
        var psi = ProcessRunner.StartInfo("/usr/bin/script", ["--quiet", "--flush", "--return", "--command", command, transcript]);
        psi.Environment["TERM"] = "xterm-256color";
        psi.RedirectStandardInput = true; // script copies our stdin to the terminal: give it none, and close it below
        using var process = System.Diagnostics.Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using (var limit = new CancellationTokenSource(TimeSpan.FromSeconds(180)))
        {
            try
            {
                await process.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw;
            }
        }
        string log = File.Exists(transcript) ? await File.ReadAllTextAsync(transcript) : await stdout;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}\n{log}");

        // The terminal path, not the log path: no plain status lines, and the block erased and redrawn many times.
        Assert.DoesNotContain("[status] ", log, StringComparison.Ordinal);
        int erases = Regex.Matches(log, Regex.Escape(EraseBlock)).Count;
        Assert.True(erases >= 4, $"{erases} block erases in the transcript {transcript}");
        // Narrative written while a block is up goes where the block was, and the block is drawn again below it.
        Assert.Matches(Regex.Escape(EraseBlock) + @"Demo complete\.\r?\n" + Regex.Escape(BlockLineStart) + "members: ", log);

        // Every drawn block: its members line and its Greet figures, in the order they were drawn.
        var blocks = Regex.Matches(log, Regex.Escape(BlockLineStart) + @"members: (?<members>[^\r\n]*)\r?\n"
            + Regex.Escape(BlockLineStart) + @"calls \(client, last 10 s\): (?<calls>[^\r\n]*)\r?\n"
            + Regex.Escape(BlockLineStart) + @"breakers: (?<breakers>[^\r\n]*)\r?\n"
            + Regex.Escape(BlockLineStart) + @"dashboard: http://127\.0\.0\.1:\d+/dashboard/\r?\n");
        Assert.True(blocks.Count >= 4, $"{blocks.Count} status blocks drawn; transcript {transcript}");
        var members = blocks.Select(b => b.Groups["members"].Value).ToList();
        int alive = members.IndexOf("demo-client alive, node-1 alive, node-2 alive");
        int failed = members.LastIndexOf("demo-client alive, node-1 alive, node-2 failed");
        Assert.True(alive >= 0 && failed > alive, "node-2 alive, then failed after the kill: " + string.Join(" / ", members));
        // Each block is erased before the next is drawn, so the one after the kill replaces the earlier ones in place.
        for (int i = 1; i < blocks.Count; i++)
        {
            int erase = log.LastIndexOf(EraseBlock, blocks[i].Index, StringComparison.Ordinal);
            Assert.True(erase >= blocks[i - 1].Index + blocks[i - 1].Length, $"block {i} drawn without erasing block {i - 1}; transcript {transcript}");
        }

        var rates = blocks.Select(b => Regex.Match(b.Groups["calls"].Value, @"Demo/Greet (\d+\.\d) calls/s, (\d+\.\d) errors/s, p99 (\d+\.\d\d) ms"))
            .Where(m => m.Success)
            .Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))
            .ToList();
        Assert.True(rates.Count >= 2 && rates.Any(r => r > 0), "Greet figures in the blocks: " + string.Join(", ", rates));
        Assert.True(rates.Distinct().Count() >= 2, "the figures change from one redraw to the next: " + string.Join(", ", rates));
        Assert.Matches(@"^127\.0\.0\.1:\d+ closed$", blocks[^1].Groups["breakers"].Value);
    }

    private static string Quote(string path) => "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Artifact(string name)
    {
        var dir = Path.Combine(Repository.Root, ".test-logs");
        Directory.CreateDirectory(dir);
        return Path.Combine(dir, name);
    }
}
