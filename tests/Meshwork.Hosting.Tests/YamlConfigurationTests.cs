using System.Text;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Tests;

public class YamlConfigurationTests
{
    private static IConfigurationRoot FromYaml(string yaml) =>
        new ConfigurationBuilder().AddYamlStream(new MemoryStream(Encoding.UTF8.GetBytes(yaml))).Build();

    [Fact]
    public void Nested_maps_become_colon_separated_keys()
    {
        var config = FromYaml("""
            # leading comment
            Meshwork:
              Server:
                MaxFrameSize: 1048576   # trailing comment
                DetailedErrors: true
                Tls:
                  CertificatePath: "/etc/certs/server.pfx"
            """);

        Assert.Equal("1048576", config["Meshwork:Server:MaxFrameSize"]);
        Assert.Equal("true", config["meshwork:server:detailederrors"]);
        Assert.Equal("/etc/certs/server.pfx", config["Meshwork:Server:Tls:CertificatePath"]);
    }

    [Fact]
    public void Sequences_become_indexed_keys_including_maps_inside_lists()
    {
        var config = FromYaml("""
            Endpoints:
              - 127.0.0.1:7000
              - unix:///run/meshwork.sock
            Flow: [a, b, c]
            Peers:
              - Name: one
                Port: 1
              - Name: two
                Port: 2
            """);

        Assert.Equal("127.0.0.1:7000", config["Endpoints:0"]);
        Assert.Equal("unix:///run/meshwork.sock", config["Endpoints:1"]);
        Assert.Equal("c", config["Flow:2"]);
        Assert.Equal("two", config["Peers:1:Name"]);
        Assert.Equal("2", config["Peers:1:Port"]);
        Assert.Equal(["127.0.0.1:7000", "unix:///run/meshwork.sock"], config.GetSection("Endpoints").Get<string[]>()!);
    }

    [Fact]
    public void Nulls_are_empty_values_and_quoted_null_is_a_string()
    {
        var config = FromYaml("""
            A: ~
            B: null
            C:
            D: "null"
            E: ''
            F: {}
            G: []
            """);

        Assert.Equal("", config["A"]);
        Assert.Equal("", config["B"]);
        Assert.Equal("", config["C"]);
        Assert.Equal("null", config["D"]);
        Assert.Equal("", config["E"]);
        Assert.Null(config["F"]);
        Assert.Null(config["G"]);
        Assert.Contains(config.GetChildren(), c => c.Key == "F");
    }

    [Fact]
    public void Scalars_keep_their_text_and_block_scalars_work()
    {
        var config = FromYaml("""
            Timeout: 00:00:10
            Quoted: 'it''s'
            Number: 007
            Text: |
              line one
              line two
            After: x
            """);

        Assert.Equal("00:00:10", config["Timeout"]);
        Assert.Equal("it's", config["Quoted"]);
        Assert.Equal("007", config["Number"]);
        Assert.Equal("line one\nline two\n", config["Text"]);
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_are_resolved()
    {
        var config = FromYaml("""
            defaults: &defaults
              ConnectTimeout: 2s
              StreamWindow: 32
            Clients:
              Greeter:
                <<: *defaults
                Address: 10.0.0.1:7000
            """);

        Assert.Equal("2s", config["Clients:Greeter:ConnectTimeout"]);
        Assert.Equal("32", config["Clients:Greeter:StreamWindow"]);
        Assert.Equal("10.0.0.1:7000", config["Clients:Greeter:Address"]);
    }

    [Fact]
    public void Empty_document_adds_nothing()
    {
        var config = FromYaml("# only a comment\n");
        Assert.Empty(config.AsEnumerable());
    }

    [Fact]
    public void Malformed_file_fails_with_file_and_line()
    {
        using var temp = new TempFiles();
        string path = temp.Write("bad.yaml", "Meshwork:\n  Server:\n    MaxFrameSize: 1\n   Oops: [unclosed\n");

        var ex = Assert.Throws<InvalidDataException>(() => new ConfigurationBuilder().AddYamlFile(path).Build());

        var inner = Assert.IsType<FormatException>(ex.InnerException);
        Assert.Contains("bad.yaml", inner.Message);
        Assert.Contains("line 4", inner.Message);
        Assert.Contains("bad.yaml", ex.Message);
    }

    [Fact]
    public void Duplicate_keys_fail_with_both_lines()
    {
        var ex = Assert.Throws<FormatException>(() => FromYaml("A: 1\nB: 2\na: 3\n"));
        Assert.Contains("line 3", ex.Message);
        Assert.Contains("first at line 1", ex.Message);
    }

    [Fact]
    public void Root_that_is_not_a_mapping_is_rejected()
    {
        var ex = Assert.Throws<FormatException>(() => FromYaml("- a\n- b\n"));
        Assert.Contains("must be a mapping", ex.Message);
        Assert.Contains("line 1", ex.Message);
    }

    [Fact]
    public void Missing_optional_file_is_ignored_and_missing_required_file_fails()
    {
        using var temp = new TempFiles();
        string missing = Path.Combine(temp.Directory, "nope.yaml");

        Assert.Empty(new ConfigurationBuilder().AddYamlFile(missing, optional: true).Build().AsEnumerable());
        Assert.Throws<FileNotFoundException>(() => new ConfigurationBuilder().AddYamlFile(missing, optional: false).Build());
    }

    [Fact]
    public async Task Reload_on_change_picks_up_edits()
    {
        using var temp = new TempFiles();
        string path = temp.Write("live.yaml", "Value: 1\n");
        var config = new ConfigurationBuilder().AddYamlFile(path, optional: false, reloadOnChange: true).Build();
        Assert.Equal("1", config["Value"]);

        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = Microsoft.Extensions.Primitives.ChangeToken.OnChange(config.GetReloadToken, () =>
        {
            if (config["Value"] == "2") reloaded.TrySetResult();
        });
        await File.WriteAllTextAsync(path, "Value: 2\n");

        await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("2", config["Value"]);
    }
}
