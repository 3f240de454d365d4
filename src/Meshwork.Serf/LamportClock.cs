namespace Meshwork.Serf;

/// <summary>64-bit Lamport clock as used by serf (not thread-safe; used under the node lock).</summary>
internal sealed class LamportClock
{
    public ulong Time { get; private set; }

    public ulong Increment() => ++Time;

    /// <summary>Moves forward to v+1 if v is not older than the current time.</summary>
    public void Witness(ulong v)
    {
        if (v >= Time) { Time = v + 1; }
    }
}
