using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Tests;

public class ServerOptionsBindingTests
{
    private static RpcServerOptions Bind(Action<IConfigurationBuilder> sources, Action<RpcServerOptions>? configure = null)
    {
        var configuration = new ConfigurationBuilder();
        sources(configuration);
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration.Build());
        services.AddMeshworkServer(configure);
        using var provider = services.BuildServiceProvider();
        // Run the configure steps without validation: these tests look at binding, ValidationTests at validation.
        var options = new RpcServerOptions();
        foreach (var step in provider.GetServices<IConfigureOptions<RpcServerOptions>>()) step.Configure(options);
        return options;
    }

    [Fact]
    public void Binds_every_key_from_json()
    {
        using var temp = new TempFiles();
        string path = temp.Write("appsettings.json", """
            {
              "Meshwork": {
                "Server": {
                  "Endpoints": [ "127.0.0.1:7001", "unix:///tmp/meshwork-test.sock" ],
                  "MaxFrameSize": 1048576,
                  "MaxMessageSize": 8388608,
                  "MaxConnections": 50,
                  "MaxConcurrentStreamsPerConnection": 77,
                  "MaxConcurrentCalls": 999,
                  "MaxQueuedWriteBytes": 2097152,
                  "MaxBufferedBytes": 33554432,
                  "WriteStallTimeout": "7s",
                  "TrimMemoryAfterBurst": false,
                  "ProtocolErrorLogInterval": "1m",
                  "DrainTimeout": "2s",
                  "IdleTimeout": "00:03:00",
                  "StreamWindow": 16,
                  "DetailedErrors": true,
                  "HandlerDispatch": "Queued",
                  "Compression": { "AutoCompressThreshold": 4096, "DefaultAlgorithm": "br" }
                }
              }
            }
            """);

        var o = Bind(c => c.AddJsonFile(path));

        Assert.Equal(["127.0.0.1:7001", "unix:///tmp/meshwork-test.sock"], o.Endpoints);
        Assert.Equal(1048576, o.MaxFrameSize);
        Assert.Equal(8388608, o.MaxMessageSize);
        Assert.Equal(50, o.MaxConnections);
        Assert.Equal(77, o.MaxConcurrentStreamsPerConnection);
        Assert.Equal(999, o.MaxConcurrentCalls);
        Assert.Equal(2097152, o.MaxQueuedWriteBytes);
        Assert.Equal(33554432, o.MaxBufferedBytes);
        Assert.Equal(TimeSpan.FromSeconds(7), o.WriteStallTimeout);
        Assert.False(o.TrimMemoryAfterBurst);
        Assert.Equal(TimeSpan.FromMinutes(1), o.ProtocolErrorLogInterval);
        Assert.Equal(TimeSpan.FromSeconds(2), o.DrainTimeout);
        Assert.Equal(TimeSpan.FromMinutes(3), o.IdleTimeout);
        Assert.Equal(16, o.StreamWindow);
        Assert.True(o.DetailedErrors);
        Assert.Equal(Meshwork.Rpc.DispatchMode.Queued, o.HandlerDispatch);
        Assert.Equal(4096, o.Compression.AutoCompressThreshold);
        Assert.Equal("br", o.Compression.Find(o.Compression.DefaultAlgorithm)!.Name);
        Assert.Null(o.Tls);
    }

    [Fact]
    public void Binds_from_yaml()
    {
        using var temp = new TempFiles();
        string path = temp.Write("meshwork.yaml", """
            Meshwork:
              Server:
                Endpoints: [ "127.0.0.1:7002" ]
                MaxConnections: 12
                DrainTimeout: 1500ms
                IdleTimeout: 0s      # zero turns the idle timeout off
            """);

        var o = Bind(c => c.AddYamlFile(path));

        Assert.Equal(["127.0.0.1:7002"], o.Endpoints);
        Assert.Equal(12, o.MaxConnections);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), o.DrainTimeout);
        Assert.Equal(TimeSpan.Zero, o.IdleTimeout);
    }

    [Fact]
    public void Unset_keys_keep_the_defaults()
    {
        var defaults = new RpcServerOptions();
        var o = Bind(c => c.AddInMemoryCollection(new Dictionary<string, string?> { ["Meshwork:Server:MaxConnections"] = "5" }));

        Assert.Equal(5, o.MaxConnections);
        Assert.Equal(defaults.MaxFrameSize, o.MaxFrameSize);
        Assert.Equal(defaults.DrainTimeout, o.DrainTimeout);
        Assert.Equal(defaults.IdleTimeout, o.IdleTimeout);
        Assert.Empty(o.Endpoints);
    }

    [Fact]
    public void Empty_values_count_as_unset()
    {
        using var temp = new TempFiles();
        string path = temp.Write("empty.yaml", """
            Meshwork:
              Server:
                MaxConnections:
                DetailedErrors: ~
                DrainTimeout: ""
                Endpoints: []
                Tls: {}
            """);
        var defaults = new RpcServerOptions();

        var o = Bind(c => c.AddYamlFile(path));

        Assert.Equal(defaults.MaxConnections, o.MaxConnections);
        Assert.False(o.DetailedErrors);
        Assert.Equal(defaults.DrainTimeout, o.DrainTimeout);
        Assert.Empty(o.Endpoints);
        Assert.Null(o.Tls);
    }

    [Fact]
    public void Environment_variables_override_yaml_and_code_overrides_both()
    {
        using var temp = new TempFiles();
        string path = temp.Write("meshwork.yaml", """
            Meshwork:
              Server:
                Endpoints: [ "127.0.0.1:7003" ]
                MaxFrameSize: 65536
                MaxConnections: 10
                MaxConcurrentCalls: 100
            """);
        string prefix = $"MWTEST_{Guid.NewGuid():N}_";
        var variables = new Dictionary<string, string>
        {
            [prefix + "Meshwork__Server__MaxFrameSize"] = "131072",
            [prefix + "Meshwork__Server__MaxConnections"] = "20",
            [prefix + "Meshwork__Server__Endpoints__0"] = "127.0.0.1:7004",
        };
        try
        {
            foreach (var (name, value) in variables) Environment.SetEnvironmentVariable(name, value);

            var o = Bind(c => c.AddYamlFile(path).AddEnvironmentVariables(prefix), o => o.MaxConnections = 30);

            Assert.Equal(131072, o.MaxFrameSize);     // environment beats YAML
            Assert.Equal(30, o.MaxConnections);       // code beats environment
            Assert.Equal(100, o.MaxConcurrentCalls);  // YAML beats the default
            Assert.Equal(["127.0.0.1:7004"], o.Endpoints);
        }
        finally
        {
            foreach (var name in variables.Keys) Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void Later_json_file_overrides_earlier_yaml_file()
    {
        using var temp = new TempFiles();
        string yaml = temp.Write("base.yaml", "Meshwork:\n  Server:\n    MaxConnections: 1\n    StreamWindow: 8\n");
        string json = temp.Write("override.json", """{ "Meshwork": { "Server": { "MaxConnections": 2 } } }""");

        var o = Bind(c => c.AddYamlFile(yaml).AddJsonFile(json));

        Assert.Equal(2, o.MaxConnections);
        Assert.Equal(8, o.StreamWindow);
    }

    [Fact]
    public void Repeated_AddMeshworkServer_applies_callbacks_in_order()
    {
        var services = new ServiceCollection();
        services.AddMeshworkServer(o => o.MaxConnections = 1);
        services.AddMeshworkServer(o => o.MaxConnections *= 7);
        using var provider = services.BuildServiceProvider();

        var options = new RpcServerOptions();
        foreach (var step in provider.GetServices<IConfigureOptions<RpcServerOptions>>()) step.Configure(options);
        Assert.Equal(7, options.MaxConnections);
        Assert.Single(services, d => d.ImplementationType == typeof(Meshwork.Hosting.Server.MeshworkServerHostedService));
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("1.5s", 1500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:00:03", 3000)]
    [InlineData("1.00:00:00", 86_400_000)]
    public void Durations_accept_units_and_timespans(string text, double milliseconds)
    {
        var o = Bind(c => c.AddInMemoryCollection(new Dictionary<string, string?> { ["Meshwork:Server:DrainTimeout"] = text }));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), o.DrainTimeout);
    }
}
