using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Rpc;
using Meshwork.Security;
using Meshwork.Security.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

/// <summary>
/// AddMeshwork end to end: generic hosts started from a YAML document, a client host calling a server host it
/// finds through the registry the document names, security from the same document, per-method codecs.
/// </summary>
public sealed class GovernedHostingTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private const string StaticServer = """
        Meshwork:
          Application: { Name: calc-server, Version: 1.4.2 }
          Registry: { Type: static }
          Server:
            Endpoints: [ 127.0.0.1:0 ]
            Drain: { PropagationDelay: 10ms }
        """;

    private static string StaticClient(string address, string client = "", string security = "") => $"""
        Meshwork:
          Application: {"{"} Name: calc-client {"}"}
          Registry:
            Type: static
            Services:
              calc: [ {"{"} Address: "{address}", Version: 1.4.2 {"}"} ]
          Client:
            ResolveTimeout: 10s
            Services:
              calc:
                Version: ">=1.4 <2"
        {client}
        {security}
        """;

    [Fact]
    public async Task A_client_host_calls_a_server_host_found_through_the_static_registry()
    {
        using var server = GovernedHosts.Server(_files.Write("server.yaml", StaticServer), "server-a");
        await server.StartAsync(Eventually.Token());
        try
        {
            // The server registered itself, with the application's version, in the registry the document names.
            var registered = Assert.Single(await server.Services.GetRequiredService<IServiceRegistry>().ResolveAsync("calc"));
            Assert.Equal("1.4.2", registered.Version.ToString());

            using var client = GovernedHosts.Client(_files.Write("client.yaml", StaticClient(GovernedHosts.AddressOf(server))));
            await client.StartAsync(Eventually.Token());
            var calc = client.Services.GetRequiredService<ICalc>();
            Assert.Equal("server-a", await calc.WhoAsync(Eventually.Token()));
            Assert.Same(client.Services.GetRequiredService<GovernedCallInvoker>(), client.Services.GetRequiredService<GovernedCallInvoker>());
            await client.StopAsync(Eventually.Token());
        }
        finally
        {
            await server.StopAsync(Eventually.Token());
        }
    }

    [Fact]
    public async Task A_client_host_finds_a_server_host_through_gossip_and_the_drain_deregisters_it_first()
    {
        int serverGossip = FreePort.TcpAndUdp();
        using var server = GovernedHosts.Server(_files.Write("server.yaml", $"""
            Meshwork:
              Registry: {"{"} Type: gossip, NodeName: calc-server, Bind: "127.0.0.1:{serverGossip}", Profile: local {"}"}
              Server:
                Endpoints: [ 127.0.0.1:0 ]
                Drain: {"{"} PropagationDelay: 200ms {"}"}
            """), "server-g");
        await server.StartAsync(Eventually.Token());
        using var client = GovernedHosts.GossipClient(_files, serverGossip);
        await client.StartAsync(Eventually.Token());
        try
        {
            var calc = client.Services.GetRequiredService<ICalc>();
            Assert.Equal("server-g", await calc.WhoAsync(Eventually.Token()));
            var invoker = client.Services.GetRequiredService<GovernedCallInvoker>();
            Assert.Single(invoker.Endpoints("calc"));

            // Stopping the server host drains it: its instance leaves the client's route (deregistered, then gone).
            await server.StopAsync(Eventually.Token());
            await invoker.WaitForEndpointsAsync("calc", e => e.Count == 0, Eventually.Token());
        }
        finally
        {
            await client.StopAsync(Eventually.Token());
            await server.StopAsync(Eventually.Token());
        }
    }

    private const string HmacSecret = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes, base64

    [Fact]
    public async Task Security_from_configuration_refuses_an_unauthenticated_call_and_accepts_a_signed_one()
    {
        using var server = GovernedHosts.Server(_files.Write("server.yaml", StaticServer + $"""

              Security:
                Hmac:
                  Keys: [ {"{"} Id: billing-1, Secret: "{HmacSecret}", Name: billing {"}"} ]
                Methods:
                  "calc/Echo": Anonymous
            """), "server-s");
        await server.StartAsync(Eventually.Token());
        try
        {
            string address = GovernedHosts.AddressOf(server);
            using var anonymous = GovernedHosts.Client(_files.Write("anonymous.yaml", StaticClient(address)));
            using var signed = GovernedHosts.Client(_files.Write("signed.yaml", StaticClient(address, security: $"""
                  Security:
                    Credentials:
                      Hmac: {"{"} KeyId: billing-1, Secret: "{HmacSecret}" {"}"}
                """)));
            await anonymous.StartAsync(Eventually.Token());
            await signed.StartAsync(Eventually.Token());

            var refused = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.Services.GetRequiredService<ICalc>().WhoAsync(Eventually.Token()));
            Assert.Equal(StatusCode.Unauthenticated, refused.Status);
            Assert.Equal("open", await anonymous.Services.GetRequiredService<ICalc>().EchoAsync("open", Eventually.Token())); // the anonymous rule
            Assert.Equal("server-s", await signed.Services.GetRequiredService<ICalc>().WhoAsync(Eventually.Token()));

            var security = server.Services.GetRequiredService<SecurityMiddleware>();
            Assert.Equal(1, security.Counters[SecurityFailure.MissingCredentials]);
            Assert.Equal(1, security.Counters.Authenticated);
            await anonymous.StopAsync(Eventually.Token());
            await signed.StopAsync(Eventually.Token());
        }
        finally
        {
            await server.StopAsync(Eventually.Token());
        }
    }

    [Fact]
    public async Task A_method_with_its_own_codec_is_sent_in_that_codec_and_the_others_in_the_services()
    {
        var serverSide = new CountingSerializer(100, "counted");
        using var server = GovernedHosts.Server(_files.Write("server.yaml", StaticServer), "server-c", server: o => o.Serializers.Add(serverSide));
        await server.StartAsync(Eventually.Token());
        try
        {
            var clientSide = new CountingSerializer(100, "counted");
            using var client = GovernedHosts.Client(_files.Write("client.yaml", StaticClient(GovernedHosts.AddressOf(server), client: """
                        Methods:
                          Echo: { Codec: counted }
                """)), extra: m => m.ConfigureChannel(o => o.Serializers.Add(clientSide)));
            await client.StartAsync(Eventually.Token());
            var calc = client.Services.GetRequiredService<ICalc>();

            Assert.Equal("server-c", await calc.WhoAsync(Eventually.Token()));
            Assert.Equal(0, serverSide.Decoded); // the service's codec (MessagePack, id 1)
            Assert.Equal("in its own codec", await calc.EchoAsync("in its own codec", Eventually.Token()));
            Assert.Equal(1, serverSide.Decoded); // the server decoded the request with serializer 100
            Assert.Equal(1, clientSide.Decoded); // and answered in the codec of the request
            Assert.Equal("server-c", await calc.WhoAsync(Eventually.Token()));
            Assert.Equal(1, serverSide.Decoded);
            await client.StopAsync(Eventually.Token());
        }
        finally
        {
            await server.StopAsync(Eventually.Token());
        }
    }

    [Fact]
    public void Hosting_pulls_in_no_etcd_zookeeper_or_grpc_client()
    {
        // Registry providers with client libraries are separate packages the application registers; what Hosting
        // references (transitively) must stay free of them, so a gossip-only application does not carry them.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<System.Reflection.AssemblyName>();
        pending.Push(typeof(MeshworkServiceCollectionExtensions).Assembly.GetName());
        while (pending.TryPop(out var name))
        {
            if (!seen.Add(name.Name!) || !name.Name!.StartsWith("Meshwork", StringComparison.Ordinal)) continue;
            foreach (var reference in System.Reflection.Assembly.Load(name).GetReferencedAssemblies()) pending.Push(reference);
        }
        Assert.Contains("Meshwork.Discovery.Gossip", seen);
        Assert.DoesNotContain(seen, n => n.Contains("etcd", StringComparison.OrdinalIgnoreCase) || n.Contains("ZooKeeper", StringComparison.OrdinalIgnoreCase)
            || n.StartsWith("Grpc", StringComparison.Ordinal) || n == "Meshwork.Discovery.Dns");
    }

    [Theory]
    [InlineData("Client:\n    Services:\n      calc:\n        Methods:\n          Echo: { Codec: xml }", "Meshwork:Client:Services:calc:Methods:Echo:Codec", "unknown codec 'xml'")]
    [InlineData("Client:\n    Services:\n      calc: { Balancer: fastest }", "Meshwork:Client:Services:calc:Balancer", "unknown balancer 'fastest'")]
    [InlineData("Server:\n    Address: 127.0.0.1:0", "Meshwork:Server:Address", "Meshwork:Server:Endpoints")]
    [InlineData("Server:\n    Endpoints: [ 127.0.0.1:0 ]\n    Drain: { Timeout: 5s }", "Meshwork:Server:Drain:Timeout", "Meshwork:Server:DrainTimeout")]
    [InlineData("Server:\n    Endpoints: [ 127.0.0.1:0 ]\n    Weight: heavy", "Meshwork:Server:Weight", "heavy")]
    [InlineData("Security:\n    Credentials:\n      Hmac: { KeyId: k1, Secret: short }", "Meshwork:Security:Credentials:Hmac:Secret", "base64")]
    [InlineData("Registry: { Type: consul }", "Meshwork:Registry:Type", "unknown registry type 'consul'")]
    public async Task A_bad_value_fails_the_start_naming_its_key(string section, string key, string problem)
    {
        string yaml = "Meshwork:\n  " + (section.StartsWith("Registry", StringComparison.Ordinal) ? "" : "Registry: { Type: static }\n  ") + section + "\n"
            + (section.StartsWith("Server", StringComparison.Ordinal) ? "" : "  Server:\n    Endpoints: [ 127.0.0.1:0 ]\n");
        using var host = GovernedHosts.Server(_files.Write("bad.yaml", yaml), "bad");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => host.StartAsync(Eventually.Token()));
        Assert.Contains(key, e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }
}
