namespace Meshwork.Gossip;

/// <summary>memberlist node states, with their wire values.</summary>
public enum NodeStatus
{
    /// <summary>Answers probes (or was last heard of doing so).</summary>
    Alive = 0,

    /// <summary>Missed a probe; declared dead unless it refutes before the suspicion timeout.</summary>
    Suspect = 1,

    /// <summary>Declared failed by the cluster.</summary>
    Dead = 2,

    /// <summary>Left gracefully (announced its own death).</summary>
    Left = 3,
}
