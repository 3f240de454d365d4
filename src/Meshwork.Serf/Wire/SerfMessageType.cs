namespace Meshwork.Serf.Wire;

/// <summary>Serf 0.9.4 message types (first byte of a serf message inside a memberlist user message).</summary>
internal enum SerfMessageType : byte
{
    Leave = 0,
    Join = 1,
    PushPull = 2,
    UserEvent = 3,
    Query = 4,
    QueryResponse = 5,
    ConflictResponse = 6,
    KeyRequest = 7,
    KeyResponse = 8,
    Relay = 9,
}
