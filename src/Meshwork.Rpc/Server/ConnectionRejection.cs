using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Server;

/// <summary>
/// Turns away a connection the server will not serve (connection limit, shutdown) without ever parsing a frame
/// from it: the explanation is written straight to the stream, the sending side is shut down, and what the client
/// already sent is read and discarded until it closes. Discarding matters: closing a socket with unread bytes makes
/// the kernel send a reset, which can reach the client before it has read the explanation.
/// </summary>
internal static class ConnectionRejection
{
    /// <summary>How long a rejected client gets to read the error frame and close before the server drops it.</summary>
    private static readonly TimeSpan Linger = TimeSpan.FromSeconds(2);

    /// <summary>Bytes read and discarded from a rejected client at most; a client that keeps sending is simply closed.</summary>
    private const int MaxDiscardBytes = 256 * 1024;

    public static async Task RejectAsync(Stream stream, Socket socket, StatusCode status, string why)
    {
        var frame = new ArrayBufferWriter<byte>(256);
        FrameCodec.Write(frame, new FrameHeader { Type = FrameType.Error, Status = status, StatusMessage = why }, default);
        byte[] scratch = ArrayPool<byte>.Shared.Rent(4096);
        using var linger = new CancellationTokenSource(Linger);
        try
        {
            await stream.WriteAsync(frame.WrittenMemory, linger.Token).ConfigureAwait(false);
            await stream.FlushAsync(linger.Token).ConfigureAwait(false);
            if (stream is SslStream ssl) await ssl.ShutdownAsync().ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Send);
            int discarded = 0;
            while (discarded < MaxDiscardBytes)
            {
                int n = await stream.ReadAsync(scratch, linger.Token).ConfigureAwait(false);
                if (n == 0) break;
                discarded += n;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away or kept us waiting; either way the explanation was offered.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
