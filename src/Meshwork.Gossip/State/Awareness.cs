namespace Meshwork.Gossip;

/// <summary>
/// Lifeguard local health ("awareness"): a score in [0, max-1]. A higher score means this node is
/// probably the slow one, so it stretches its own probe intervals and timeouts by (score+1).
/// </summary>
internal sealed class Awareness(int max)
{
    private readonly int _max = Math.Max(1, max);

    public int Score { get; private set; }

    public void ApplyDelta(int delta) => Score = Math.Clamp(Score + delta, 0, _max - 1);

    public TimeSpan Scale(TimeSpan timeout) => timeout * (Score + 1);
}
