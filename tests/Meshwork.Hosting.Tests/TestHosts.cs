using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

/// <summary>Builds isolated hosts: no appsettings, no process environment, only the configuration a test gives.</summary>
internal static class TestHosts
{
    public static HostApplicationBuilder Builder(IDictionary<string, string?>? configuration = null)
    {
        GreeterContract.Register();
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        if (configuration is not null) builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddLogging();
        return builder;
    }

    /// <summary>A host serving <see cref="Greeter"/> on an ephemeral loopback port.</summary>
    public static IHost GreeterServer(Action<IMeshworkServerBuilder>? extra = null, IDictionary<string, string?>? configuration = null)
    {
        var config = new Dictionary<string, string?>(configuration ?? new Dictionary<string, string?>())
        {
            ["Meshwork:Server:Endpoints:0"] = "127.0.0.1:0",
        };
        var builder = Builder(config);
        builder.Services.AddSingleton(new GreetingPrefix("hello "));
        var server = builder.Services.AddMeshworkServer().AddService<IGreeter, Greeter>();
        extra?.Invoke(server);
        return builder.Build();
    }

    public static string AddressOf(IHost serverHost) => serverHost.Services.GetRequiredService<RpcServer>().BoundEndpoints[0].Display;
}
