namespace Meshwork.Gossip.Wire;

/// <summary>memberlist 0.2.2 message type numbers (first byte of every message).</summary>
internal enum MessageType : byte
{
    Ping = 0,
    IndirectPing = 1,
    Ack = 2,
    Suspect = 3,
    Alive = 4,
    Dead = 5,
    PushPull = 6,
    Compound = 7,
    User = 8,
    Compress = 9,
    Encrypt = 10,
    Nack = 11,
    HasCrc = 12,
    Err = 13,
}
