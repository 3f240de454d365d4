using Meshwork.Rpc;

namespace Meshwork.Security.Authentication;

/// <summary>HMAC-signed calls (<c>authorization: MW-HMAC-SHA256 ...</c>): the keys, the clock skew allowed and the replay cache.</summary>
public sealed class HmacAuthenticationOptions
{
    /// <summary>The keys accepted. Default an empty ring; at least one key is required. Add or remove keys at run time to rotate.</summary>
    public HmacKeyRing Keys { get; set; } = new();

    /// <summary>
    /// How far a call's timestamp may be from the server's clock, either way. Default 1 min: hosts synchronised by NTP
    /// differ by milliseconds, a minute tolerates a badly synchronised VM, and a captured request is useless a minute
    /// later. Nonces are remembered for twice this long, so a longer skew costs replay-cache room.
    /// </summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Nonces remembered at most. Default 100 000 (about 15 MB): every call of the last two minutes at 800 calls/s.
    /// Beyond it the oldest nonces are forgotten and calls no newer than them are refused as expired, so a replay is
    /// never accepted; at higher rates the accepted window narrows below <see cref="MaxClockSkew"/>.
    /// </summary>
    public int ReplayCacheCapacity { get; set; } = 100_000;

    /// <summary>The server's clock. Default <see cref="TimeProvider.System"/>; tests can move time.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="InvalidOptionException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string type = nameof(HmacAuthenticationOptions);
        if (Keys is null || Keys.KeyIds.Count == 0) throw new InvalidOptionException(type, nameof(Keys), "at least one HMAC key is required");
        if (MaxClockSkew <= TimeSpan.Zero || MaxClockSkew > TimeSpan.FromHours(1)) throw new InvalidOptionException(type, nameof(MaxClockSkew), $"must be positive and at most 1 hour (was {MaxClockSkew})");
        if (ReplayCacheCapacity is < 1000 or > 100_000_000) throw new InvalidOptionException(type, nameof(ReplayCacheCapacity), $"must be between 1000 and 100000000 (was {ReplayCacheCapacity})");
        if (TimeProvider is null) throw new InvalidOptionException(type, nameof(TimeProvider), "is required");
    }
}
