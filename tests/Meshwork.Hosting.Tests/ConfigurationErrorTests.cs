using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Meshwork.Rpc.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Tests;

/// <summary>Every way a configured value can be wrong fails the host start with a message that starts with the key to fix.</summary>
public class ConfigurationErrorTests
{
    private static async Task<string> ServerStartError(Dictionary<string, string?> configuration, Action<RpcServerOptions>? configure = null)
    {
        configuration.TryAdd("Meshwork:Server:Endpoints:0", "127.0.0.1:0");
        var builder = TestHosts.Builder(configuration);
        builder.Services.AddSingleton(new GreetingPrefix(""));
        builder.Services.AddMeshworkServer(configure).AddService<IGreeter, Greeter>();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Equal(typeof(RpcServerOptions), ex.OptionsType);
        return ex.Message;
    }

    private static async Task<string> ClientStartError(Dictionary<string, string?> configuration)
    {
        configuration.TryAdd("Meshwork:Clients:Greeter:Address", "127.0.0.1:1");
        var builder = TestHosts.Builder(configuration);
        builder.Services.AddMeshworkClient<IGreeter>();
        using var host = builder.Build();
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        return ex.Message;
    }

    [Fact]
    public async Task Range_failure_names_the_key_the_bounds_and_the_value()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:MaxConnections"] = "0" });
        Assert.Contains("Meshwork:Server:MaxConnections: must be between 1 and 2147483647 (was 0)", message);
    }

    [Fact]
    public async Task Range_of_a_nested_option_names_the_nested_key()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:Compression:AutoCompressThreshold"] = "-1" });
        Assert.Contains("Meshwork:Server:Compression:AutoCompressThreshold: must be between 0 and 2147483647 (was -1)", message);
    }

    [Fact]
    public async Task Misspelt_key_is_an_error_that_lists_the_keys()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:MaxConection"] = "5" });
        Assert.Contains("Meshwork:Server:MaxConection: unknown key", message);
        Assert.Contains("MaxConnections", message);
    }

    [Fact]
    public async Task Misspelt_client_key_is_an_error()
    {
        string message = await ClientStartError(new() { ["Meshwork:Clients:Greeter:Tls:TargetHots"] = "example" });
        Assert.Contains("Meshwork:Clients:Greeter:Tls:TargetHots: unknown key", message);
        Assert.Contains("TargetHost", message);
    }

    [Fact]
    public async Task Option_that_only_code_can_set_is_refused_from_configuration()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:Serializers"] = "json" });
        Assert.Contains("Meshwork:Server:Serializers: a SerializerRegistry cannot be read from configuration", message);
    }

    [Fact]
    public async Task Certificate_written_as_a_value_points_to_the_file_key()
    {
        string message = await ServerStartError(new()
        {
            ["Meshwork:Server:Tls:CertificatePath"] = "/nonexistent/server.pfx",
            ["Meshwork:Server:Tls:Certificate"] = "-----BEGIN CERTIFICATE-----",
        });
        Assert.Contains("Meshwork:Server:Tls:Certificate: a X509Certificate2 cannot be read from configuration; name its file with CertificatePath", message);
    }

    [Fact]
    public async Task Number_too_large_for_the_option_names_the_key()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:MaxConnections"] = "99999999999" });
        Assert.Contains("Meshwork:Server:MaxConnections: 99999999999 is out of range", message);
    }

    [Fact]
    public async Task Bad_boolean_names_the_key()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:DetailedErrors"] = "yes" });
        Assert.Contains("Meshwork:Server:DetailedErrors: 'yes' is not true or false", message);
    }

    [Fact]
    public async Task Section_where_a_value_belongs_names_the_key()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:MaxConnections:Value"] = "5" });
        Assert.Contains("Meshwork:Server:MaxConnections: expected one value, found a section", message);
    }

    [Fact]
    public async Task Unknown_compression_algorithm_lists_the_known_ones()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:Compression:DefaultAlgorithm"] = "zstd" });
        Assert.Contains("Meshwork:Server:Compression:DefaultAlgorithm: unknown algorithm 'zstd' (known: gzip, br)", message);
    }

    [Fact]
    public async Task Every_bad_key_is_reported_at_once()
    {
        string message = await ServerStartError(new()
        {
            ["Meshwork:Server:MaxConnections"] = "lots",
            ["Meshwork:Server:DrainTimeout"] = "10",
        });
        Assert.Contains("Meshwork:Server:MaxConnections: 'lots' is not a whole number", message);
        Assert.Contains("Meshwork:Server:DrainTimeout: '10' is not a duration", message);
    }

    [Fact]
    public async Task Bad_endpoint_in_a_list_names_the_key_and_the_value()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:Endpoints:1"] = "no-port-here" });
        Assert.Contains("Meshwork:Server:Endpoints: ", message);
        Assert.Contains("no-port-here", message);
    }

    [Fact]
    public async Task Tls_setting_without_a_certificate_asks_for_the_certificate()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:Tls:ClientCertificateRequired"] = "true" });
        Assert.Contains("Meshwork:Server:Tls:CertificatePath: required when TLS is enabled", message);
    }

    [Fact]
    public async Task Tls_enabled_that_is_not_a_boolean_names_the_key()
    {
        string message = await ServerStartError(new() { ["Meshwork:Server:Tls:Enabled"] = "on" });
        Assert.Contains("Meshwork:Server:Tls:Enabled: 'on' is not true or false", message);
    }

    [Fact]
    public async Task Tls_from_code_without_a_certificate_names_the_file_key()
    {
        // The rule lives in RpcServerOptions.Validate and names the property Tls.Certificate; the key that sets it is CertificatePath.
        string message = await ServerStartError(new(), o => o.Tls = new TlsServerOptions());
        Assert.Contains("Meshwork:Server:Tls:CertificatePath: is required when TLS is enabled", message);
    }

    [Fact]
    public async Task Client_key_without_a_certificate_is_an_error()
    {
        string message = await ClientStartError(new() { ["Meshwork:Clients:Greeter:Tls:KeyPath"] = "/etc/meshwork/client.key" });
        Assert.Contains("Meshwork:Clients:Greeter:Tls:KeyPath: set Meshwork:Clients:Greeter:Tls:CertificatePath too", message);
    }

    [Fact]
    public async Task Client_missing_trusted_ca_file_names_the_key()
    {
        string message = await ClientStartError(new() { ["Meshwork:Clients:Greeter:Tls:ServerCaPath"] = "/nonexistent/ca.pem" });
        Assert.Contains("Meshwork:Clients:Greeter:Tls:ServerCaPath: cannot load trusted certificates from '/nonexistent/ca.pem'", message);
    }

    [Fact]
    public async Task Client_range_failure_names_the_client_key()
    {
        string message = await ClientStartError(new() { ["Meshwork:Clients:Greeter:ConnectionsPerEndpoint"] = "65" });
        Assert.Contains("Meshwork:Clients:Greeter:ConnectionsPerEndpoint: must be between 1 and 64 (was 65)", message);
    }

    [Fact]
    public async Task Client_cross_field_rule_names_the_key()
    {
        string message = await ClientStartError(new()
        {
            ["Meshwork:Clients:Greeter:ReconnectBackoffInitial"] = "2s",
            ["Meshwork:Clients:Greeter:ReconnectBackoffMax"] = "1s",
        });
        Assert.Contains("Meshwork:Clients:Greeter:ReconnectBackoffMax: must be at least ReconnectBackoffInitial", message);
    }

    [Fact]
    public void Client_tls_target_host_alone_turns_tls_on()
    {
        var builder = TestHosts.Builder(new Dictionary<string, string?>
        {
            ["Meshwork:Clients:Greeter:Address"] = "127.0.0.1:1",
            ["Meshwork:Clients:Greeter:Tls:TargetHost"] = " mesh.internal ",
        });
        builder.Services.AddMeshworkClient<IGreeter>();
        using var host = builder.Build();

        var options = host.Services.GetRequiredService<IOptionsMonitor<MeshworkClientOptions>>().Get(GreeterContract.Name);

        Assert.Equal("mesh.internal", options.Rpc.Tls?.TargetHost);
    }

    [Fact]
    public void Client_tls_enabled_false_keeps_plaintext()
    {
        var builder = TestHosts.Builder(new Dictionary<string, string?>
        {
            ["Meshwork:Clients:Greeter:Address"] = "127.0.0.1:1",
            ["Meshwork:Clients:Greeter:Tls:Enabled"] = "false",
            ["Meshwork:Clients:Greeter:Tls:TargetHost"] = "mesh.internal",
        });
        builder.Services.AddMeshworkClient<IGreeter>(configure: o => Assert.Null(o.Tls));
        using var host = builder.Build();

        Assert.Null(host.Services.GetRequiredService<IOptionsMonitor<MeshworkClientOptions>>().Get(GreeterContract.Name).Rpc.Tls);
    }
}
