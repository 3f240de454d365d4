using Meshwork.Internal;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// The one reconnect/retry backoff (src/Shared/JitteredBackoff.cs, linked into Rpc, Hosting, Discovery.ServiceDiscovery
/// and Serf; Tars uses Rpc's): growth by the multiplier up to the ceiling, jitter bounds, reset and argument checks.
/// The callers' own tests check that their reconnects and retries still happen.
/// </summary>
public class JitteredBackoffTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Delays_grow_by_the_multiplier_up_to_the_ceiling()
    {
        var doubling = new JitteredBackoff(Ms(100), Ms(1000), multiplier: 2, jitter: 0);
        Assert.Equal(new[] { Ms(100), Ms(200), Ms(400), Ms(800), Ms(1000), Ms(1000) }, Enumerable.Range(0, 6).Select(_ => doubling.Next()).ToArray());

        var slower = new JitteredBackoff(Ms(100), Ms(500), multiplier: 1.5, jitter: 0);
        Assert.Equal(new[] { Ms(100), Ms(150), Ms(225), Ms(337.5), Ms(500) }, Enumerable.Range(0, 5).Select(_ => slower.Next()).ToArray());

        var constant = new JitteredBackoff(Ms(300), Ms(300), multiplier: 1, jitter: 0);
        Assert.All(Enumerable.Range(0, 5), _ => Assert.Equal(Ms(300), constant.Next()));
    }

    [Fact]
    public void The_nominal_delay_after_a_number_of_retries_follows_the_same_schedule_without_advancing()
    {
        var backoff = new JitteredBackoff(Ms(100), Ms(1000));
        Assert.Equal(Ms(100), backoff.NominalAfter(0));
        Assert.Equal(Ms(400), backoff.NominalAfter(2));
        Assert.Equal(Ms(1000), backoff.NominalAfter(4));
        Assert.Equal(Ms(1000), backoff.NominalAfter(int.MaxValue)); // no overflow: the ceiling holds
        Assert.Equal(Ms(100), backoff.Nominal);
        backoff.Next();
        backoff.Next();
        Assert.Equal(backoff.NominalAfter(2), backoff.Nominal);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.2)]
    public void Jitter_stays_within_its_bounds_and_spreads_over_them(double jitter)
    {
        var random = new Random(20261201);
        var backoff = new JitteredBackoff(Ms(100), Ms(800), multiplier: 2, jitter: jitter, random: random);
        // Each nominal delay of the schedule, from the first to the ceiling, drawn many times.
        foreach (var nominal in new[] { Ms(100), Ms(200), Ms(400), Ms(800) })
        {
            var waits = new List<TimeSpan>();
            for (int i = 0; i < 2000; i++)
            {
                waits.Add(new JitteredBackoff(nominal, Ms(800), multiplier: 2, jitter: jitter, random: random).Next());
            }
            Assert.All(waits, w => Assert.InRange(w, nominal * (1 - jitter), nominal));
            // The draws cover the range, not one point of it: the lowest tenth and the highest tenth are both reached.
            Assert.Contains(waits, w => w < nominal * (1 - jitter * 0.9));
            Assert.Contains(waits, w => w > nominal * (1 - jitter * 0.1));
        }
        // Through the schedule itself: no wait above the ceiling, none below the jittered first delay.
        for (int i = 0; i < 2000; i++)
        {
            if (i % 10 == 0) backoff.Reset();
            Assert.InRange(backoff.Next(), Ms(100) * (1 - jitter), Ms(800));
        }
    }

    [Fact]
    public void Reset_returns_to_the_initial_delay()
    {
        var backoff = new JitteredBackoff(Ms(50), Ms(5000), multiplier: 3, jitter: 0);
        for (int i = 0; i < 6; i++) backoff.Next();
        Assert.Equal(Ms(5000), backoff.Nominal);
        backoff.Reset();
        Assert.Equal(Ms(50), backoff.Nominal);
        Assert.Equal(Ms(50), backoff.Next());
        Assert.Equal(Ms(150), backoff.Next());
    }

    [Fact]
    public void Invalid_arguments_throw_ArgumentOutOfRangeException_naming_them()
    {
        void Refused(string parameter, Action create) => Assert.Equal(parameter, Assert.Throws<ArgumentOutOfRangeException>(create).ParamName);
        Refused("initial", () => new JitteredBackoff(TimeSpan.Zero, Ms(100)));
        Refused("initial", () => new JitteredBackoff(Ms(-1), Ms(100)));
        Refused("max", () => new JitteredBackoff(Ms(100), Ms(99)));
        Refused("multiplier", () => new JitteredBackoff(Ms(100), Ms(1000), multiplier: 0.9));
        Refused("multiplier", () => new JitteredBackoff(Ms(100), Ms(1000), multiplier: double.NaN));
        Refused("multiplier", () => new JitteredBackoff(Ms(100), Ms(1000), multiplier: double.PositiveInfinity));
        Refused("jitter", () => new JitteredBackoff(Ms(100), Ms(1000), jitter: -0.01));
        Refused("jitter", () => new JitteredBackoff(Ms(100), Ms(1000), jitter: 1.01));
        Refused("jitter", () => new JitteredBackoff(Ms(100), Ms(1000), jitter: double.NaN));
        Refused("retries", () => new JitteredBackoff(Ms(100), Ms(1000)).NominalAfter(-1));
        // The edges are accepted: equal initial and max, a multiplier of 1, no jitter and full jitter.
        _ = new JitteredBackoff(Ms(100), Ms(100), multiplier: 1, jitter: 0);
        _ = new JitteredBackoff(Ms(100), Ms(100), multiplier: 1, jitter: 1);
    }
}
