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
    public static byte[] Request<TRequest, TResponse>(Method<TRequest, TResponse> method, ulong id, TRequest message, long timeoutMicros = 0)
    {
        var header = new FrameHeader { Type = FrameType.Request, RequestId = id, Service = method.Service, Method = method.Name, TimeoutMicros = timeoutMicros };
        var type = method.RequestType;
        using var body = MessageCodec.Encode(ref header, message, type, SerializerRegistry.CreateDefault().For(type), 0,
            new CompressionOptions(), FrameLayout.DefaultMaxFrameSize);
        var frame = new ArrayBufferWriter<byte>(body.WrittenCount + 256);
        FrameCodec.Write(frame, header, body.WrittenSpan);
        return frame.WrittenSpan.ToArray();
    }
}

/// <summary>One raw TCP connection that sends and reads whole frames, for tests that play the client or the server by hand.</summary>
internal sealed class RawPeer(System.Net.Sockets.TcpClient socket) : IDisposable
{
    private readonly System.Net.Sockets.NetworkStream _stream = socket.GetStream();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _filled;

    /// <summary>Connects to <paramref name="endpoint"/> (a TCP endpoint).</summary>
    public static async Task<RawPeer> ConnectAsync(Transport.RpcEndpoint endpoint)
    {
        var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync((System.Net.IPEndPoint)endpoint.EndPoint);
        return new RawPeer(socket);
    }

    public ValueTask SendAsync(byte[] frame) => _stream.WriteAsync(frame);

    /// <summary>Sends one frame made of <paramref name="header"/> and an empty body.</summary>
    public ValueTask SendAsync(FrameHeader header)
    {
        var frame = new ArrayBufferWriter<byte>();
        FrameCodec.Write(frame, header, default);
        return _stream.WriteAsync(frame.WrittenMemory);
    }

    /// <summary>The next whole frame from the peer, with its body copied out; fails after 10 s or at the end of the stream.</summary>
    public async Task<(FrameHeader Header, byte[] Body)> ReadFrameAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(_buffer, 0, _filled);
            if (FrameCodec.TryRead(ref buffer, FrameLayout.DefaultMaxFrameSize, null, out var header, out var body))
            {
                var copy = body.ToArray();
                int used = _filled - (int)buffer.Length;
                Buffer.BlockCopy(_buffer, used, _buffer, 0, _filled - used);
                _filled -= used;
                return (header, copy);
            }
            int read = await _stream.ReadAsync(_buffer.AsMemory(_filled), timeout.Token);
            if (read == 0) throw new EndOfStreamException("the peer closed the connection before a whole frame arrived");
            _filled += read;
        }
    }

    public void Dispose() => socket.Dispose();
}
