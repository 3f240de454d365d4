using System.Buffers;
using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Tests;

/// <summary>Whole frames as a real client sends them, for tests that talk to a server over a raw socket.</summary>
internal static class RawFrames
{
    /// <summary>A complete request frame of <paramref name="method"/> with id <paramref name="id"/> carrying <paramref name="message"/>.</summary>
    public static byte[] Request<TRequest, TResponse>(Method<TRequest, TResponse> method, ulong id, TRequest message)
    {
        var header = new FrameHeader { Type = FrameType.Request, RequestId = id, Service = method.Service, Method = method.Name };
        var type = method.RequestType;
        using var body = MessageCodec.Encode(ref header, message, type, SerializerRegistry.CreateDefault().For(type), 0,
            new CompressionOptions(), FrameLayout.DefaultMaxFrameSize);
        var frame = new ArrayBufferWriter<byte>(body.WrittenCount + 256);
        FrameCodec.Write(frame, header, body.WrittenSpan);
        return frame.WrittenSpan.ToArray();
    }
}
