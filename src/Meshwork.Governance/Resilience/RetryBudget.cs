namespace Meshwork.Governance.Resilience;

/// <summary>
/// Caps retries and hedges to a fraction of the original calls, so that a struggling service is not buried under
/// retry storms. Every original call deposits <see cref="Ratio"/> tokens; a retry or hedge spends one. A reserve
/// of <see cref="Reserve"/> tokens lets a quiet client retry its first few failures. Over any outage the extra
/// load is therefore at most Ratio × calls + Reserve. Thread-safe and lock-free.
/// </summary>
public sealed class RetryBudget
{
    private const long Scale = 1000;
    private readonly long _deposit;
    private readonly long _cap;
    private long _balance;
    private long _denied;

    /// <summary>Creates a budget.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A ratio outside [0, 1] or a negative reserve.</exception>
    public RetryBudget(double ratio = DefaultRatio, int reserve = DefaultReserve)
    {
        if (ratio is < 0 or > 1 || double.IsNaN(ratio)) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "the retry ratio must be between 0 and 1");
        ArgumentOutOfRangeException.ThrowIfNegative(reserve);
        Ratio = ratio;
        Reserve = reserve;
        _deposit = (long)Math.Round(ratio * Scale);
        // At least one whole token can accumulate, or a ratio below 1 with no reserve could never pay for a retry.
        _cap = Math.Max(reserve, 1) * Scale;
        _balance = reserve * Scale;
    }

    /// <summary>Default 10 % extra load at most: enough to ride out one failing instance among ten.</summary>
    public const double DefaultRatio = 0.1;

    /// <summary>Default reserve of 10 retries, so that low-traffic clients can still retry.</summary>
    public const int DefaultReserve = 10;

    /// <summary>Tokens deposited per original call.</summary>
    public double Ratio { get; }

    /// <summary>Tokens available to a client with no history, and the most that accumulate.</summary>
    public int Reserve { get; }

    /// <summary>Retries and hedges refused because the budget was empty.</summary>
    public long Denied => Interlocked.Read(ref _denied);

    /// <summary>Records an original call.</summary>
    public void Deposit()
    {
        while (true)
        {
            long old = Interlocked.Read(ref _balance);
            long next = Math.Min(old + _deposit, _cap);
            if (next == old || Interlocked.CompareExchange(ref _balance, next, old) == old) return;
        }
    }

    /// <summary>Takes one token for a retry or hedge; false (and counted) when there is none.</summary>
    public bool TryWithdraw()
    {
        while (true)
        {
            long old = Interlocked.Read(ref _balance);
            if (old < Scale)
            {
                Interlocked.Increment(ref _denied);
                return false;
            }
            if (Interlocked.CompareExchange(ref _balance, old - Scale, old) == old) return true;
        }
    }
}
