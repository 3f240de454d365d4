using Meshwork.Rpc;
using Meshwork.Security.Authentication;
using Meshwork.Security.Client;
using Meshwork.Security.Diagnostics;

namespace Meshwork.Security.Tests;

public class FloodTests
{
    [Fact]
    public async Task A_flood_of_bad_tokens_is_refused_counted_and_logged_sparingly_and_the_server_stays_healthy()
    {
        const int Bad = 2000;
        var log = new CapturedLog();
        await using var server = await SecureServer.StartAsync(new SecurityOptions
        {
            Bearer = new BearerTokenOptions { Tokens = { new StaticBearerToken { Token = "good-token-0123456789", Name = "good" } } },
            // Longer than the test can take on a loaded machine, so the expected number of lines is exact.
            FailureLogInterval = TimeSpan.FromHours(1),
        }, logs: log);

        var attackers = Enumerable.Range(0, 4).Select(i => server.Channel(new BearerTokenCredentials($"bad-token-{i}-0123456789"))).ToArray();
        var refused = new int[1];
        await Parallel.ForEachAsync(Enumerable.Range(0, Bad), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            try
            {
                await attackers[i % attackers.Length].UnaryAsync(SecuredService.WhoAmI, "");
            }
            catch (RpcException ex) when (ex.Status == StatusCode.Unauthenticated)
            {
                Interlocked.Increment(ref refused[0]);
            }
        });

        Assert.Equal(Bad, refused[0]);
        Assert.Equal(Bad, server.Security.Counters[SecurityFailure.InvalidToken]);
        Assert.Equal(0, server.Calls.Handled);
        // One line per caller address and reason per interval, not one per call.
        var line = Assert.Single(log.WithEventId(5000));
        Assert.Contains("InvalidToken", line.Message);
        Assert.Equal(0, server.Server.ActiveCalls);

        var good = server.Channel(new BearerTokenCredentials("good-token-0123456789"));
        Assert.Equal("good|Bearer|", await good.UnaryAsync(SecuredService.WhoAmI, ""));
        // The attackers' connections are still usable too: refusals are per call, not per connection.
        var ex = await Assert.ThrowsAsync<RpcException>(async () => await attackers[0].UnaryAsync(SecuredService.WhoAmI, ""));
        Assert.Equal(StatusCode.Unauthenticated, ex.Status);
        Assert.Equal(0, server.Server.ProtocolErrors.Total);
    }
}
