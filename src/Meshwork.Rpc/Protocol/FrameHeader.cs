namespace Meshwork.Rpc.Protocol;

/// <summary>
/// The decoded MessagePack header of a frame. Absent keys keep their defaults, so a heartbeat header is tiny.
/// Keys (see docs/protocol.md): 0 request id, 1 service, 2 method, 3 timeout µs, 4 metadata, 5 serializer,
/// 6 compression, 7 status, 8 status message, 9 call kind, 10 window credits.
/// </summary>
internal struct FrameHeader
{
    public FrameType Type;
    public FrameFlags Flags;
    public ulong RequestId;
    public string? Service;
    public string? Method;
    /// <summary>Remaining time budget in microseconds when the frame was sent; 0 = no deadline.</summary>
    public long TimeoutMicros;
    public Metadata? Metadata;
    public byte Serializer;
    public byte Compression;
    public StatusCode Status;
    public string? StatusMessage;
    public CallKind Kind;
    /// <summary>Stream credits: in a request, the client's receive window; in a window update, the credits granted.</summary>
    public uint Window;
    /// <summary>
    /// When set (by a client sending a request), the encoded header entries of <see cref="Service"/> and
    /// <see cref="Method"/>, written as they are instead of encoding both names again on every request. Encoding
    /// only: a decoded header never has it.
    /// </summary>
    public byte[]? EncodedNames;
}

/// <summary>Fixed layout constants of Meshwork protocol v1.</summary>
internal static class FrameLayout
{
    /// <summary>'M' 'W'.</summary>
    public const byte Magic0 = 0x4D;
    public const byte Magic1 = 0x57;
    public const byte Version = 1;
    /// <summary>magic(2) version(1) type/flags(1) total length(4) header length(4).</summary>
    public const int PrefixSize = 12;
    /// <summary>Bytes of the prefix that the total length does not cover (magic, version, type, the length itself).</summary>
    public const int LengthExcluded = 8;
    /// <summary>Default maximum frame size: 4 MiB.</summary>
    public const int DefaultMaxFrameSize = 4 * 1024 * 1024;
    /// <summary>Stream window (messages) used when a peer does not announce one; also the options' default.</summary>
    public const int DefaultStreamWindow = 64;
    /// <summary>Largest header we accept; headers carry names and metadata, never payloads.</summary>
    public const int MaxHeaderSize = 64 * 1024;
}
