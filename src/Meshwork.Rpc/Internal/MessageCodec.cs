using System.Buffers;
using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Rpc.Internal;

/// <summary>Body encoding shared by client and server: serialize, compress when asked or when large, enforce limits.</summary>
internal static class MessageCodec
{
    /// <summary>
    /// Serializes <paramref name="value"/> into a pooled buffer (never straight into the socket pipe, so a serializer
    /// exception cannot leave half a frame behind), compresses it if needed, and checks it fits the frame limit.
    /// The caller disposes the returned writer after copying it into a frame.
    /// </summary>
    public static PooledBufferWriter Encode<T>(ref FrameHeader header, T value, MessageType<T> type, ISerializer serializer,
        byte requestedCompression, CompressionOptions compression, int maxFrameSize)
    {
        var body = PooledBufferWriter.Rent();
        try
        {
            // The default serializer is called directly: through the interface, a generic method is resolved at run time
            // on every call (generic virtual dispatch), which the JIT does not devirtualize.
            if (serializer is MessagePackRpcSerializer msgpack) msgpack.Serialize(body, value, type);
            else serializer.Serialize(body, value, type);
        }
        catch (Exception ex) when (ex is not RpcException)
        {
            body.Dispose();
            throw new RpcException(StatusCode.Internal, $"cannot serialize {MessageType<T>.Name} with {serializer.Name}: {ex.Message}", ex);
        }
        header.Serializer = serializer.Id;
        byte algorithm = requestedCompression;
        if (algorithm == CompressionIds.None && body.WrittenCount >= compression.AutoCompressThreshold)
        {
            algorithm = compression.DefaultAlgorithm;
        }
        int plainLength = body.WrittenCount;
        if (algorithm != CompressionIds.None && plainLength > 0)
        {
            var compressor = compression.Get(algorithm);
            var packed = PooledBufferWriter.Rent();
            try
            {
                compressor.Compress(body.WrittenSpan, packed);
            }
            finally
            {
                body.Dispose();
            }
            body = packed;
            header.Compression = algorithm;
        }
        int limit = maxFrameSize - FrameLayout.PrefixSize - HeaderCodec.GetMaxSize(header);
        if (body.WrittenCount > limit)
        {
            int size = body.WrittenCount;
            body.Dispose();
            string how = header.Compression != CompressionIds.None
                ? $"{size} bytes after {compression.Get(header.Compression).Name} compression (from {plainLength})"
                : $"{size} bytes";
            throw new RpcException(StatusCode.ResourceExhausted,
                $"{MessageType<T>.Name} body is {how}, over the {maxFrameSize}-byte frame limit (MaxFrameSize); enable compression or raise the limit on both peers");
        }
        return body;
    }

    /// <summary>Decodes a body with the serializer and compression named in its header.</summary>
    public static T Decode<T>(in FrameHeader header, in ReadOnlySequence<byte> body, MessageType<T> type,
        SerializerRegistry serializers, CompressionOptions compression, int maxMessageSize)
    {
        var serializer = serializers.Get(header.Serializer);
        if (header.Compression == CompressionIds.None)
        {
            return Deserialize(serializer, body, type);
        }
        var plain = PooledBufferWriter.Rent();
        try
        {
            try
            {
                compression.Get(header.Compression).Decompress(body, plain, maxMessageSize);
            }
            catch (Exception ex) when (ex is not RpcException)
            {
                throw new RpcException(StatusCode.InvalidArgument, $"cannot decompress {MessageType<T>.Name}: {ex.Message}", ex);
            }
            return Deserialize(serializer, new ReadOnlySequence<byte>(plain.WrittenMemory), type);
        }
        finally
        {
            plain.Dispose();
        }
    }

    private static T Deserialize<T>(ISerializer serializer, in ReadOnlySequence<byte> body, MessageType<T> type)
    {
        try
        {
            // Direct call for the default serializer, as in Encode.
            return serializer is MessagePackRpcSerializer msgpack ? msgpack.Deserialize(body, type) : serializer.Deserialize(body, type);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"cannot decode {MessageType<T>.Name} with {serializer.Name}: {ex.Message}", ex);
        }
    }
}
