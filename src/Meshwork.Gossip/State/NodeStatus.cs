namespace Meshwork.Gossip;

/// <summary>memberlist node states, with their wire values.</summary>
public enum NodeStatus
{
    Alive = 0,
    Suspect = 1,
    Dead = 2,
    Left = 3,
}
