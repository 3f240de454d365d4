using Meshwork.Discovery;

namespace Meshwork.Governance.Tests;

public class VersionRangeTests
{
    [Theory]
    [InlineData(">=1.2 <2", "1.2.0", true)]
    [InlineData(">=1.2 <2", "1.9.9", true)]
    [InlineData(">=1.2 <2", "1.1.9", false)]
    [InlineData(">=1.2 <2", "2.0.0", false)]
    [InlineData(">=1.2 <2", "2.0.0-rc.1", false)]
    [InlineData("1.2", "1.2.7", true)]
    [InlineData("1.2", "1.3.0", false)]
    [InlineData("1.x", "1.9.0", true)]
    [InlineData("1.x", "2.0.0", false)]
    [InlineData("~1.2.3", "1.2.9", true)]
    [InlineData("~1.2.3", "1.3.0", false)]
    [InlineData("^1.2.3", "1.9.0", true)]
    [InlineData("^1.2.3", "2.0.0", false)]
    [InlineData("^0.2.3", "0.2.9", true)]
    [InlineData("^0.2.3", "0.3.0", false)]
    [InlineData("<1 || >=3", "0.5.0", true)]
    [InlineData("<1 || >=3", "2.0.0", false)]
    [InlineData("<1 || >=3", "3.1.0", true)]
    [InlineData("*", "7.0.0", true)]
    [InlineData(">=2.0.0-rc.1 <2.0.0", "2.0.0-rc.2", true)]
    [InlineData("=1.2.3", "1.2.3", true)]
    [InlineData(">1.2.3", "1.2.3", false)]
    [InlineData("<=1.2", "1.2.9", true)]
    public void Ranges_match_like_npm(string range, string version, bool expected) =>
        Assert.Equal(expected, VersionRange.Parse(range).Contains(SemanticVersion.Parse(version)));

    [Theory]
    [InlineData(">=1.x.2", 6, "follows a wildcard")]
    [InlineData(">=1.2 <", 7, "expected a version after '<'")]
    [InlineData(">=a.b", 2, "'a' is not a number")]
    [InlineData("1.2.3.4", 0, "more than three parts")]
    [InlineData(">=1 || ", 7, "empty alternative")]
    [InlineData("", 0, "empty")]
    public void Bad_ranges_say_where_and_why(string range, int position, string problem)
    {
        var e = Assert.Throws<VersionRangeFormatException>(() => VersionRange.Parse(range));
        Assert.Equal(position, e.Position);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Versions_order_by_semver_precedence()
    {
        string[] ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "2.0.0"];
        var parsed = ordered.Select(SemanticVersion.Parse).ToArray();
        for (int i = 1; i < parsed.Length; i++) Assert.True(parsed[i - 1] < parsed[i], $"{parsed[i - 1]} < {parsed[i]}");
        Assert.Equal(new SemanticVersion(1, 2, 0), SemanticVersion.Parse("v1.2+build.5"));
        Assert.Contains("part 2", Assert.Throws<FormatException>(() => SemanticVersion.Parse("1.x")).Message, StringComparison.Ordinal);
    }
}
