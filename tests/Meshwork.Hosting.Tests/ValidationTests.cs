using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Tests;

public class ValidationTests
{
    private static async Task<OptionsValidationException> StartFails(IHost host)
    {
        await using var _ = host as IAsyncDisposable;
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
    }

    private static IHost Server(Dictionary<string, string?> configuration, Action<RpcServerOptions>? configure = null)
    {
        var builder = TestHosts.Builder(configuration);
        builder.Services.AddSingleton(new GreetingPrefix(""));
        builder.Services.AddMeshworkServer(configure).AddService<IGreeter, Greeter>();
        return builder.Build();
    }

    [Fact]
    public async Task Out_of_range_value_fails_start_naming_the_key()
    {
        var ex = await StartFails(Server(new()
        {
            ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0",
            ["Meshwork:Server:MaxFrameSize"] = "10",
        }));

        Assert.Contains("Meshwork:Server:MaxFrameSize", ex.Message);
        Assert.Equal(typeof(RpcServerOptions), ex.OptionsType);
    }

    [Fact]
    public async Task Value_of_the_wrong_type_fails_start_naming_the_key()
    {
        var ex = await StartFails(Server(new()
        {
            ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0",
            ["Meshwork:Server:MaxConnections"] = "lots",
        }));

        Assert.Contains("Meshwork:Server:MaxConnections", ex.Message);
    }

    [Fact]
    public async Task Bad_duration_fails_start_naming_the_key()
    {
        var ex = await StartFails(Server(new()
        {
            ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0",
            ["Meshwork:Server:DrainTimeout"] = "10",
        }));

        Assert.Contains("Meshwork:Server:DrainTimeout", ex.Message);
        Assert.Contains("10s", ex.Message);
    }

    [Fact]
    public async Task Cross_field_rule_names_the_key()
    {
        var ex = await StartFails(Server(new()
        {
            ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0",
            ["Meshwork:Server:MaxFrameSize"] = "2097152",
            ["Meshwork:Server:MaxMessageSize"] = "1048576",
        }));

        Assert.Contains("Meshwork:Server:MaxMessageSize: must be at least MaxFrameSize", ex.Message);
    }

    [Fact]
    public async Task Missing_endpoints_fail_start()
    {
        var ex = await StartFails(Server(new()));
        Assert.Contains("Meshwork:Server:Endpoints", ex.Message);
    }

    [Fact]
    public async Task Bad_endpoint_fails_start()
    {
        var ex = await StartFails(Server(new() { ["Meshwork:Server:Endpoints:0"] = "no-port-here" }));
        Assert.Contains("Meshwork:Server:Endpoints", ex.Message);
        Assert.Contains("no-port-here", ex.Message);
    }

    [Fact]
    public async Task Bad_value_from_the_callback_is_reported_too()
    {
        var ex = await StartFails(Server(new() { ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0" }, o => o.DrainTimeout = TimeSpan.Zero));
        Assert.Contains("Meshwork:Server:DrainTimeout: must be positive", ex.Message);
    }

    [Fact]
    public async Task Missing_certificate_file_fails_start_naming_the_key()
    {
        var ex = await StartFails(Server(new()
        {
            ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0",
            ["Meshwork:Server:Tls:CertificatePath"] = "/nonexistent/server.pfx",
        }));

        Assert.Contains("Meshwork:Server:Tls:CertificatePath", ex.Message);
        Assert.Contains("/nonexistent/server.pfx", ex.Message);
    }

    [Fact]
    public async Task Client_without_address_fails_start()
    {
        var builder = TestHosts.Builder();
        builder.Services.AddMeshworkClient<IGreeter>();

        var ex = await StartFails(builder.Build());

        Assert.Contains("Meshwork:Clients:Greeter:Address: required", ex.Message);
    }

    [Fact]
    public async Task Client_bad_value_fails_start_naming_the_key()
    {
        var builder = TestHosts.Builder(new Dictionary<string, string?>
        {
            ["Meshwork:Clients:Greeter:Address"] = "127.0.0.1:1",
            ["Meshwork:Clients:Greeter:ConnectionsPerEndpoint"] = "0",
        });
        builder.Services.AddMeshworkClient<IGreeter>();

        var ex = await StartFails(builder.Build());

        Assert.Contains("Meshwork:Clients:Greeter:ConnectionsPerEndpoint", ex.Message);
    }

    [Fact]
    public async Task Client_callback_rule_names_the_key()
    {
        var builder = TestHosts.Builder();
        builder.Services.AddMeshworkClient<IGreeter>("127.0.0.1:1", o => o.ConnectTimeout = TimeSpan.Zero);

        var ex = await StartFails(builder.Build());

        Assert.Contains("Meshwork:Clients:Greeter:ConnectTimeout: must be positive", ex.Message);
    }

    [Fact]
    public void Client_options_bind_from_configuration_and_arguments_override()
    {
        var builder = TestHosts.Builder(new Dictionary<string, string?>
        {
            ["Meshwork:Clients:Greeter:Address"] = "10.0.0.1:7000",
            ["Meshwork:Clients:Greeter:ConnectionsPerEndpoint"] = "3",
            ["Meshwork:Clients:Greeter:MaxConcurrentStreamsPerConnection"] = "9",
            ["Meshwork:Clients:Greeter:MaxFrameSize"] = "65536",
            ["Meshwork:Clients:Greeter:DefaultTimeout"] = "3s",
            ["Meshwork:Clients:Greeter:ConnectTimeout"] = "750ms",
            ["Meshwork:Clients:Greeter:KeepAliveInterval"] = "0s",
            ["Meshwork:Clients:Greeter:StreamWindow"] = "4",
        });
        builder.Services.AddMeshworkClient<IGreeter>("10.0.0.2:7000", o => o.StreamWindow = 5);
        using var host = builder.Build();

        var o = host.Services.GetRequiredService<IOptionsMonitor<MeshworkClientOptions>>().Get(GreeterContract.Name);

        Assert.Equal("10.0.0.2:7000", o.Address);
        Assert.Equal(3, o.Rpc.ConnectionsPerEndpoint);
        Assert.Equal(9, o.Rpc.MaxConcurrentStreamsPerConnection);
        Assert.Equal(65536, o.Rpc.MaxFrameSize);
        Assert.Equal(TimeSpan.FromSeconds(3), o.Rpc.DefaultTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(750), o.Rpc.ConnectTimeout);
        Assert.Equal(TimeSpan.Zero, o.Rpc.KeepAliveInterval);
        Assert.Equal(5, o.Rpc.StreamWindow);
        Assert.Equal(new RpcClientOptions().IdleTimeout, o.Rpc.IdleTimeout);
    }
}
