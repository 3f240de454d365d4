using System.Collections.Concurrent;
using Meshwork.Discovery;
using Meshwork.Discovery.Gossip;
using Meshwork.Hosting.Governance;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Meshwork.Security;
using Meshwork.Security.Diagnostics;
using Meshwork.Serf;
using Meshwork.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

/// <summary>
/// Hot reload of the server side: a running server host whose YAML file is rewritten takes new rate limits, a new
/// concurrency limit, new security keys and policies, new client credentials and a new announcement without a
/// restart; an invalid rewrite is rejected with one log line and the old settings stay in force; a change of the
/// registry is left for a restart, with one warning.
/// </summary>
public sealed class ServerHotReloadTests : IDisposable
{
    private const string HmacSecret1 = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="; // 32 bytes, base64
    private const string HmacSecret2 = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="; // 32 bytes, base64

    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private static string StaticServer(string server, string security = "") => $"""
        Meshwork:
          Registry: {"{"} Type: static {"}"}
          Server:
            Endpoints: [ 127.0.0.1:0 ]
            Drain: {"{"} PropagationDelay: 10ms {"}"}
        {server}
        {security}
        """;

    private static async Task<RpcException?> CallWho(RpcChannel channel, string? caller = null)
    {
        try
        {
            var headers = caller is null ? null : new Metadata { { "caller", caller } };
            await channel.UnaryAsync(CalcContract.Who, "", new CallOptions(Eventually.Token()) { Headers = headers });
            return null;
        }
        catch (RpcException e)
        {
            return e;
        }
    }

    [Fact]
    public async Task Rewriting_the_file_changes_the_server_rate_limits_and_concurrency_limit_without_disturbing_calls_in_flight_and_an_invalid_rewrite_changes_nothing()
    {
        var logs = new CapturingLoggerProvider();
        string path = _files.Write("server.yaml", StaticServer("""
                Limits:
                  Methods:
                    "calc/Who": { PermitsPerSecond: 0.001, Burst: 2 }
            """));
        using var server = GovernedHosts.Server(path, "node", logs);
        await server.StartAsync(Eventually.Token());
        try
        {
            var rpc = server.Services.GetRequiredService<RpcServer>();
            await using var channel = RpcChannel.ForAddress(GovernedHosts.AddressOf(server));
            Assert.Null(await CallWho(channel));
            Assert.Null(await CallWho(channel));
            var refused = await CallWho(channel);
            Assert.Equal(StatusCode.ResourceExhausted, refused?.Status);
            Assert.Contains("rate limit of method calc/Who", refused!.Message, StringComparison.Ordinal);

            // A call in flight across the reload: it holds a slot and must not be cut by the change.
            using var slowCall = new CancellationTokenSource();
            var slow = channel.UnaryAsync(CalcContract.Slow, "", new CallOptions(slowCall.Token)).AsTask();
            await Eventually.TrueAsync(() => rpc.ActiveCalls == 1, "the slow call to be in flight");

            // The method limit goes; a per-caller limit and a concurrency limit of one call come.
            GovernedHosts.Rewrite(path, StaticServer("""
                    MaxConcurrentCalls: 1
                    Limits:
                      PerCaller: { PermitsPerSecond: 0.001, Burst: 2 }
                """));
            await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventId == 3020), "the reload to be logged");
            Assert.Equal(1, rpc.Options.MaxConcurrentCalls);
            // The one slot is the slow call's: a new call is refused by the new concurrency limit, not by a rate limit.
            var full = await CallWho(channel, "a");
            Assert.Equal(StatusCode.ResourceExhausted, full?.Status);
            Assert.Contains("MaxConcurrentCalls", full!.Message, StringComparison.Ordinal);
            Assert.False(slow.IsCompleted);
            await slowCall.CancelAsync();
            var cancelled = await Assert.ThrowsAnyAsync<Exception>(() => slow);
            Assert.True(cancelled is OperationCanceledException || cancelled is RpcException { Status: StatusCode.Cancelled }, cancelled.ToString());
            await Eventually.TrueAsync(() => rpc.ActiveCalls == 0, "the slow call's slot to be free");

            // calc/Who has no limit of its own any more; each caller has two calls.
            Assert.Null(await CallWho(channel, "a"));
            Assert.Null(await CallWho(channel, "a"));
            var perCaller = await CallWho(channel, "a");
            Assert.Equal(StatusCode.ResourceExhausted, perCaller?.Status);
            Assert.Contains("rate limit of caller a", perCaller!.Message, StringComparison.Ordinal);
            Assert.Null(await CallWho(channel, "b"));

            // An invalid rewrite: one error line naming the key; the per-caller limit and MaxConcurrentCalls stay.
            GovernedHosts.Rewrite(path, StaticServer("""
                    MaxConcurrentCalls: 50
                    Limits:
                      Methods:
                        Who: { PermitsPerSecond: 1 }
                """));
            await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventId == 3021), "the rejected reload to be logged");
            var rejected = Assert.Single(logs.Entries, e => e.EventId == 3021);
            Assert.Contains("Meshwork:Server:Limits:Methods:Who", rejected.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(logs.Entries, e => e.EventId == 4221);
            Assert.Equal(1, rpc.Options.MaxConcurrentCalls);
            Assert.Equal(StatusCode.ResourceExhausted, (await CallWho(channel, "a"))?.Status);
            Assert.Null(await CallWho(channel, "b"));
        }
        finally
        {
            await server.StopAsync(Eventually.Token());
        }
    }

    private static string Security(string keys, string methods) => $"""
          Security:
            Hmac:
              Keys: [ {keys} ]
            Methods:
        {methods}
        """;

    private static string Key(string id, string secret) => $"{{ Id: {id}, Secret: \"{secret}\", Name: {id}-owner }}";

    private static string ClientOf(string address, string credentials) => $"""
        Meshwork:
          Registry:
            Type: static
            Services:
              calc: [ {"{"} Address: "{address}" {"}"} ]
          Client:
            ResolveTimeout: 10s
          Security:
            Credentials:
              Hmac: {credentials}
        """;

    [Fact]
    public async Task Rewriting_the_security_section_rotates_hmac_keys_and_policies_and_the_clients_credentials_follow_their_own_file()
    {
        var serverLogs = new CapturingLoggerProvider();
        string serverPath = _files.Write("server.yaml", StaticServer("", Security(Key("k1", HmacSecret1), """
                  "calc/Echo": Anonymous
            """)));
        using var server = GovernedHosts.Server(serverPath, "secure", serverLogs);
        await server.StartAsync(Eventually.Token());
        string address = GovernedHosts.AddressOf(server);
        var clientLogs = new CapturingLoggerProvider();
        string clientPath = _files.Write("client.yaml", ClientOf(address, $"{{ KeyId: k1, Secret: \"{HmacSecret1}\" }}"));
        using var client = GovernedHosts.Client(clientPath, clientLogs);
        await client.StartAsync(Eventually.Token());
        try
        {
            var calc = client.Services.GetRequiredService<ICalc>();
            var security = server.Services.GetRequiredService<SecurityMiddleware>();
            await using var anonymous = RpcChannel.ForAddress(address);
            Assert.Equal("secure", await calc.WhoAsync(Eventually.Token()));
            Assert.Equal("open", await anonymous.UnaryAsync(CalcContract.Echo, "open", new CallOptions(Eventually.Token())));

            // The server rotates to k2 and closes Echo: the client's k1 is refused, and so is the anonymous Echo.
            GovernedHosts.Rewrite(serverPath, StaticServer("", Security(Key("k2", HmacSecret2), """
                      "calc/Slow": Anonymous
                """)));
            var unknown = await Eventually.ValueAsync(async () =>
            {
                try
                {
                    await calc.WhoAsync(Eventually.Token());
                    return null;
                }
                catch (RpcException e)
                {
                    return e;
                }
            }, e => e is not null, "the client's old key to be refused");
            Assert.Equal(StatusCode.Unauthenticated, unknown!.Status);
            Assert.Contains("'k1' is not accepted", unknown.Message, StringComparison.Ordinal);
            var closed = await Assert.ThrowsAsync<RpcException>(async () => await anonymous.UnaryAsync(CalcContract.Echo, "open", new CallOptions(Eventually.Token())));
            Assert.Equal(StatusCode.Unauthenticated, closed.Status);

            // The client's file names the new key: its calls are signed with k2 from then on.
            GovernedHosts.Rewrite(clientPath, ClientOf(address, $"{{ KeyId: k2, Secret: \"{HmacSecret2}\" }}"));
            string who = await Eventually.ValueAsync(async () =>
            {
                try
                {
                    return await calc.WhoAsync(Eventually.Token());
                }
                catch (RpcException e) when (e.Status == StatusCode.Unauthenticated)
                {
                    return "";
                }
            }, w => w.Length > 0, "the client's new credentials to be accepted");
            Assert.Equal("secure", who);
            Assert.Contains(clientLogs.Entries, e => e.EventId == 3020 && e.Message.Contains("client credentials", StringComparison.Ordinal));

            // An invalid server rewrite (a secret that is not base64): one line, k2 still accepted, Echo still closed.
            GovernedHosts.Rewrite(serverPath, StaticServer("", Security(Key("k3", "not base64!"), """
                      "calc/Echo": Anonymous
                """)));
            await Eventually.TrueAsync(() => serverLogs.Entries.Any(e => e.EventId == 3021), "the rejected reload to be logged");
            var rejected = Assert.Single(serverLogs.Entries, e => e.EventId == 3021);
            Assert.Contains("Meshwork:Security:Hmac:Keys:0:Secret", rejected.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("not base64!", rejected.Message, StringComparison.Ordinal);
            Assert.Equal("secure", await calc.WhoAsync(Eventually.Token()));
            Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(async () => await anonymous.UnaryAsync(CalcContract.Echo, "x", new CallOptions(Eventually.Token())))).Status);

            // Removing the server's security is refused too: a partly written file must never open the server.
            GovernedHosts.Rewrite(serverPath, StaticServer(""));
            await Eventually.TrueAsync(() => serverLogs.Entries.Count(e => e.EventId == 3021) == 2, "the removal to be rejected");
            Assert.Contains("cannot be turned off by a reload", serverLogs.Entries.Last(e => e.EventId == 3021).Message, StringComparison.Ordinal);
            Assert.Equal(StatusCode.Unauthenticated, (await Assert.ThrowsAsync<RpcException>(async () => await anonymous.UnaryAsync(CalcContract.Echo, "x", new CallOptions(Eventually.Token())))).Status);

            // One middleware all along: its counters carried on across the reloads.
            Assert.Same(security, server.Services.GetRequiredService<SecurityMiddleware>());
            Assert.True(security.Counters[SecurityFailure.UnknownKey] >= 1);
            Assert.True(security.Counters[SecurityFailure.MissingCredentials] >= 2);
        }
        finally
        {
            await client.StopAsync(Eventually.Token());
            await server.StopAsync(Eventually.Token());
        }
    }

    private static string GossipServer(int port, string profile, string announcement) => $"""
        Meshwork:
          Registry: {"{"} Type: gossip, NodeName: calc-server, Bind: "127.0.0.1:{port}", Profile: {profile} {"}"}
          Server:
            Endpoints: [ 127.0.0.1:0 ]
            Drain: {"{"} PropagationDelay: 10ms {"}"}
        {announcement}
        """;

    /// <summary>Whether the member is alive and its announcement tag (<c>1;directory;fingerprint;names</c>) may include calc.</summary>
    private static bool AnnouncesCalc(Member member) =>
        member.Status == MemberStatus.Alive
        && member.Tags.TryGetValue(new GossipDiscoveryOptions().TagName, out var tag)
        && tag.Split(';') is [_, _, _, var names]
        && (names == "*" || names.Split(',').Contains("calc", StringComparer.Ordinal));

    [Fact]
    public async Task Rewriting_the_announcement_republishes_the_instance_through_gossip_without_a_gap_and_a_registry_change_waits_for_a_restart()
    {
        var logs = new CapturingLoggerProvider();
        int serverGossip = FreePort.TcpAndUdp();
        string path = _files.Write("server.yaml", GossipServer(serverGossip, "local", """
                Weight: 100
                Tags: { lane: green }
            """));
        using var server = GovernedHosts.Server(path, "gossip-node", logs);
        await server.StartAsync(Eventually.Token());
        using var client = GovernedHosts.GossipClient(_files, serverGossip);
        await client.StartAsync(Eventually.Token());
        try
        {
            var registry = client.Services.GetRequiredService<IServiceRegistry>();
            Assert.Equal("gossip-node", await client.Services.GetRequiredService<ICalc>().WhoAsync(Eventually.Token()));
            var before = Assert.Single(await registry.ResolveAsync("calc", Eventually.Token()));
            Assert.Equal("green", before.Tags["lane"]);

            // Every change is observed, from before the rewrite until the new announcement is seen: each member event
            // the client's gossip node receives about the server (each carries the server's tags at that moment), and
            // each instance set the registry's watch yields. A reload that withdrew the instance and announced it
            // again would show up as an event without the service in the server's tag, or as an empty set.
            var serverEvents = new ConcurrentQueue<MemberEventRecord>();
            void OnMemberChanged(MemberEventRecord e)
            {
                if (e.Member.Name == "calc-server") serverEvents.Enqueue(e);
            }
            var gossip = client.Services.GetRequiredService<MeshworkGovernance>().Gossip!;
            gossip.Node.MemberChanged += OnMemberChanged;
            var sets = new ConcurrentQueue<IReadOnlyList<ServiceInstance>>();
            using var watching = new CancellationTokenSource();
            var watch = Task.Run(async () =>
            {
                await foreach (var set in registry.WatchAsync("calc", watching.Token)) sets.Enqueue(set);
            });
            try
            {
                await Eventually.TrueAsync(() => !sets.IsEmpty, "the watch's first set");

                GovernedHosts.Rewrite(path, GossipServer(serverGossip, "local", """
                        Weight: 7
                        Tags: { lane: blue }
                        Metadata: { build: "42" }
                    """));
                await Eventually.TrueAsync(() => sets.Any(set => set.Any(i => i.Weight == 7)), "the new announcement to reach the client's watch through gossip");
            }
            finally
            {
                gossip.Node.MemberChanged -= OnMemberChanged;
                await watching.CancelAsync();
                try
                {
                    await watch;
                }
                catch (OperationCanceledException)
                {
                    // The watch ends by cancellation.
                }
            }
            Assert.NotEmpty(serverEvents); // the update itself arrived as a member event
            Assert.All(serverEvents, e => Assert.True(AnnouncesCalc(e.Member), $"{e.Type} event showed the server as {e.Member.Status} with tags {string.Join(", ", e.Member.Tags)}"));
            Assert.All(sets, set => Assert.Equal(before.Id, Assert.Single(set).Id));
            var after = sets.Last().Single();
            Assert.Equal(7, after.Weight);
            Assert.Equal("blue", after.Tags["lane"]);
            Assert.Equal("42", after.Metadata["build"]);
            // The server logs the update once its registry calls returned, which may be after the client saw it.
            await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventId == 4207), "the update to be logged");
            Assert.Equal("gossip-node", await client.Services.GetRequiredService<ICalc>().WhoAsync(Eventually.Token()));

            // A change of the registry is not applied live: one warning naming the key, and the server stays announced.
            GovernedHosts.Rewrite(path, GossipServer(serverGossip, "lan", """
                    Weight: 7
                    Tags: { lane: blue }
                    Metadata: { build: "42" }
                """));
            await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventId == 3022), "the restart warning");
            var warning = Assert.Single(logs.Entries, e => e.EventId == 3022);
            Assert.Contains("Meshwork:Registry:Profile", warning.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(logs.Entries, e => e.EventId is 3021 or 4221);
            Assert.Equal(7, Assert.Single(await registry.ResolveAsync("calc", Eventually.Token())).Weight);
        }
        finally
        {
            await client.StopAsync(Eventually.Token());
            await server.StopAsync(Eventually.Token());
        }
    }
}
