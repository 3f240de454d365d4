using System.Text.RegularExpressions;

namespace Meshwork.Cli.Tests;

/// <summary>docs/operations.md lists exactly the commands the CLI has and the meters and instruments the code creates.</summary>
public sealed class OperationsDocTests
{
    /// <summary>Started by <c>demo</c> only, so hidden from <c>--help</c>; the page still names it.</summary>
    private const string HiddenCommand = "demo-node";

    [Fact]
    public async Task The_operations_page_lists_every_command_of_the_cli_and_no_other()
    {
        var (code, help, stderr) = await MeshworkCli.RunAsync("--help");
        Assert.True(code == 0, stderr);
        var commands = help.ReplaceLineEndings("\n").Split('\n')
            .SkipWhile(l => l.Trim() != "Commands:").Skip(1)
            .TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal))
            .Select(l => l.Trim().Split(' ')[0])
            .ToList();
        Assert.Contains("services", commands);

        var page = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "operations.md"));
        var cli = page[page.IndexOf("\n## CLI", StringComparison.Ordinal)..page.IndexOf("\n## Tests", StringComparison.Ordinal)];
        foreach (var command in commands)
        {
            Assert.True(cli.Contains("`meshwork " + command, StringComparison.Ordinal) || cli.Contains("`" + command + "`", StringComparison.Ordinal),
                $"docs/operations.md does not list the command '{command}'");
        }
        foreach (Match m in Regex.Matches(page, @"`meshwork ([a-z0-9-]+)"))
        {
            var named = m.Groups[1].Value;
            Assert.True(commands.Contains(named) || named == HiddenCommand, $"docs/operations.md names 'meshwork {named}', which the CLI does not have");
        }
    }

    [Fact]
    public async Task The_operations_page_lists_every_meter_and_instrument_the_code_creates_and_no_other()
    {
        var src = Path.Combine(Repository.Root, "src");
        var sources = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(File.ReadAllText)
            .ToList();
        // Meter.CreateCounter/Histogram/UpDownCounter/Observable*("name", ...) and RpcInstruments' SizeHistogram("name", ...).
        var instruments = sources.SelectMany(t => Regex.Matches(t, @"\b(?:Create(?:Observable)?(?:Counter|UpDownCounter|Histogram|Gauge)|SizeHistogram)(?:<\w+>)?\(\s*""([a-z][a-z0-9_.]*)""")
            .Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        var meters = sources.SelectMany(t => Regex.Matches(t, @"MeterName\s*=\s*""([^""]+)""").Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("meshwork.rpc.client.calls", instruments);
        Assert.Contains("meshwork.gossip.members", instruments);
        Assert.Contains("Meshwork.Governance", meters);

        var page = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "docs", "operations.md"));
        var section = page[page.IndexOf("\n## Metric names", StringComparison.Ordinal)..page.IndexOf("\n## CLI", StringComparison.Ordinal)];
        var table = section.Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal)).ToList();
        var listedMeters = table.Select(l => Regex.Match(l, @"^\| `([^`]+)`").Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        var listedInstruments = table.SelectMany(l => Regex.Matches(l[(l.IndexOf('|', 1) + 1)..], "`([^`]+)`").Select(m => m.Groups[1].Value)).ToHashSet(StringComparer.Ordinal);
        Assert.Equal(meters.Order(StringComparer.Ordinal), listedMeters.Order(StringComparer.Ordinal));
        Assert.Equal(instruments.Order(StringComparer.Ordinal), listedInstruments.Order(StringComparer.Ordinal));
    }
}
