using System.Text.RegularExpressions;

namespace Meshwork.Cli.Tests;

/// <summary>docs/operations.md lists exactly the commands the CLI has.</summary>
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
}
