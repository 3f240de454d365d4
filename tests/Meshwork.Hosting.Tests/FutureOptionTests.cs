using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Tests;

/// <summary>An enumeration option, which the Meshwork options do not have yet: the binder must handle it when one is added.</summary>
public enum SampleMode
{
    Off,
    Fast,
    Careful,
}

/// <summary>Stands in for an options class added later, with kinds of options the current ones lack.</summary>
public sealed class SampleOptions
{
    public SampleMode Mode { get; set; }

    public TimeSpan? Grace { get; set; }

    public string[] Names { get; set; } = [];
}

public class FutureOptionTests
{
    private static (SampleOptions Options, List<string> Errors) Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var options = new SampleOptions();
        var errors = new List<string>();
        Meshwork.Hosting.Internal.OptionsBinder.Bind(typeof(SampleOptions), options, configuration.GetSection("Sample"), errors);
        return (options, errors);
    }

    [Fact]
    public void Enumerations_nullable_durations_and_arrays_bind_by_name()
    {
        var (options, errors) = Bind(new() { ["Sample:Mode"] = "careful", ["Sample:Grace"] = "1.5s", ["Sample:Names:0"] = "a", ["Sample:Names:1"] = "b" });

        Assert.Empty(errors);
        Assert.Equal(SampleMode.Careful, options.Mode);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.Grace);
        Assert.Equal(["a", "b"], options.Names);
    }

    [Theory]
    [InlineData("Slow")]
    [InlineData("2")] // a number names no member by name, even when it is in range
    public void Unknown_enumeration_name_names_the_key_and_the_members(string value)
    {
        var (_, errors) = Bind(new() { ["Sample:Mode"] = value });

        Assert.Equal([$"Sample:Mode: '{value}' is not one of Off, Fast, Careful"], errors);
    }
}
