using Meshwork.Governance;
using Meshwork.Rpc;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

/// <summary>
/// Hot reload: a running client host whose YAML file is rewritten takes the new balancer, rate limit, breaker and
/// timeout without a restart; an invalid rewrite is rejected with one log line and the old settings stay in force.
/// </summary>
public sealed class HotReloadTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private const string Server = """
        Meshwork:
          Registry: { Type: static }
          Server:
            Endpoints: [ 127.0.0.1:0 ]
            Drain: { PropagationDelay: 10ms }
        """;

    private static string Client(string a, string b, string calc) => $"""
        Meshwork:
          Registry:
            Type: static
            Services:
              calc: [ {"{"} Address: "{a}" {"}"}, {"{"} Address: "{b}" {"}"} ]
          Client:
            ResolveTimeout: 10s
            Services:
              calc:
        {calc}
        """;

    [Fact]
    public async Task Rewriting_the_file_changes_balancer_rate_limit_breaker_and_timeout_and_an_invalid_rewrite_changes_nothing()
    {
        using var serverA = GovernedHosts.Server(_files.Write("a.yaml", Server), "a");
        using var serverB = GovernedHosts.Server(_files.Write("b.yaml", Server), "b");
        await serverA.StartAsync(Eventually.Token());
        await serverB.StartAsync(Eventually.Token());
        var logs = new CapturingLoggerProvider();
        string a = GovernedHosts.AddressOf(serverA), b = GovernedHosts.AddressOf(serverB);
        string path = _files.Write("client.yaml", Client(a, b, """
                    Balancer: round-robin
                    CircuitBreaker: { FailureRatio: 0.5 }
            """));
        // Hash balancers take their key from the request; with a constant key, consistent-hash sends every call to one node.
        using var client = GovernedHosts.Client(path, logs, m => m.ConfigureClient(o =>
        {
            foreach (var policy in o.Services.Values) policy.Calls.HashKeySelector = _ => "one key";
        }));
        await client.StartAsync(Eventually.Token());
        try
        {
            var calc = client.Services.GetRequiredService<ICalc>();
            var invoker = client.Services.GetRequiredService<GovernedCallInvoker>();
            await invoker.WaitForEndpointsAsync("calc", e => e.Count == 2, Eventually.Token());

            // Round robin: 20 calls alternate between the two nodes.
            var before = await WhoAnswers(calc, 20);
            Assert.Equal(10, before.GetValueOrDefault("a"));
            Assert.Equal(10, before.GetValueOrDefault("b"));
            var breakerBefore = invoker.Endpoints("calc")[0].Breaker!;

            GovernedHosts.Rewrite(path, Client(a, b, """
                        Balancer: consistent-hash
                        RateLimit: { PermitsPerSecond: 0.001, Burst: 25 }
                        CircuitBreaker: { FailureRatio: 0.9 }
                        Methods:
                          Slow: { Timeout: 200ms }
                """));
            await Eventually.TrueAsync(() => invoker.Options.For("calc").Balancer == "consistent-hash", "the rewritten balancer to be in force");

            // Consistent hash with one key: every call goes to the same node.
            var after = await WhoAnswers(calc, 20);
            Assert.Single(after);
            // The breakers kept their state and took the new ratio (same endpoints: the change does not shape channels).
            Assert.Same(breakerBefore, invoker.Endpoints("calc").Single(e => e.Breaker == breakerBefore).Breaker);
            Assert.Equal(0.9, invoker.Options.For("calc").CircuitBreaker!.FailureRatio);
            // The timeout of Slow: its handler answers only when the call's deadline cancels it.
            var timedOut = await Assert.ThrowsAsync<RpcException>(async () => await calc.SlowAsync(Eventually.Token()));
            Assert.Equal(StatusCode.DeadlineExceeded, timedOut.Status);
            // The rate limit: a burst of 25 (20 spent above plus Slow), then every call is refused locally.
            var refused = await Eventually.ValueAsync(async () =>
            {
                try
                {
                    await calc.WhoAsync(Eventually.Token());
                    return null;
                }
                catch (RpcException e) when (e.Status == StatusCode.ResourceExhausted)
                {
                    return e;
                }
            }, e => e is not null, "a call refused by the new rate limit");
            Assert.Contains("client rate limit of service 'calc'", refused!.Message, StringComparison.Ordinal);
            long limited = invoker.RateLimited("calc");

            // An invalid rewrite: one error line naming the key, and the old settings (consistent hash, the rate limit) stay.
            GovernedHosts.Rewrite(path, Client(a, b, """
                        Balancer: fastest
                """));
            await Eventually.TrueAsync(() => logs.Entries.Any(e => e.EventId == 4221), "the rejected reload to be logged");
            var rejected = Assert.Single(logs.Entries, e => e.EventId == 4221);
            Assert.Contains("Meshwork:Client:Services:calc:Balancer", rejected.Message, StringComparison.Ordinal);
            Assert.Contains("unknown balancer 'fastest'", rejected.Message, StringComparison.Ordinal);
            Assert.Equal("consistent-hash", invoker.Options.For("calc").Balancer);
            var stillRefused = await Assert.ThrowsAsync<RpcException>(async () => await calc.WhoAsync(Eventually.Token()));
            Assert.Equal(StatusCode.ResourceExhausted, stillRefused.Status);
            Assert.True(invoker.RateLimited("calc") > limited);
        }
        finally
        {
            await client.StopAsync(Eventually.Token());
            await serverA.StopAsync(Eventually.Token());
            await serverB.StopAsync(Eventually.Token());
        }
    }

    private static async Task<Dictionary<string, int>> WhoAnswers(ICalc calc, int calls)
    {
        var counts = new Dictionary<string, int>();
        for (int i = 0; i < calls; i++)
        {
            string who = await calc.WhoAsync(Eventually.Token());
            counts[who] = counts.GetValueOrDefault(who) + 1;
        }
        return counts;
    }
}
