namespace Meshwork.Cli.Tests;

/// <summary>The CLI tests run the meshwork binary of their own build configuration, never a stale one from the other.</summary>
public class CliLocatorTests
{
    [Fact]
    public void Cli_locator_picks_the_binary_of_this_build_configuration()
    {
#if DEBUG
        const string expected = "Debug";
#else
        const string expected = "Release";
#endif
        char sep = Path.DirectorySeparatorChar;
        Assert.Equal(expected, MeshworkCli.Configuration);
        Assert.Contains($"{sep}src{sep}Meshwork.Cli{sep}bin{sep}{expected}{sep}", MeshworkCli.BinaryPath);
    }
}
