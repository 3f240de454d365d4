using System.Buffers;
using System.Net.Sockets;
using Meshwork.Bench.Bare;

/// <summary>
/// One connection of the bare echo server: receive whatever the kernel has, answer every complete frame into one
/// output buffer, send it with one write, repeat. Replies are thereby coalesced per read, and requests that arrive
/// while a write is in progress are picked up by the next read. Buffers are pooled and reused: no allocation per call.
/// </summary>
internal sealed class BareEchoConnection(Socket socket, int maxPayload)
{
    private const int InitialBufferSize = 64 * 1024;

    public async Task RunAsync()
    {
        byte[] input = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        byte[] output = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
        try
        {
            int filled = 0;
            while (true)
            {
                int received = await socket.ReceiveAsync(input.AsMemory(filled), SocketFlags.None);
                if (received == 0) return; // the client closed
                filled += received;
                int consumed = AnswerCompleteFrames(input, filled, ref output, out int outputLength, out int needed);
                if (outputLength > 0) SendAll(output, outputLength);
                filled -= consumed;
                if (filled > 0) input.AsSpan(consumed, filled).CopyTo(input);
                if (needed > input.Length) input = Grow(input, needed, filled);
            }
        }
        catch (InvalidDataException e)
        {
            await Console.Error.WriteLineAsync($"bare echo: closing {socket.RemoteEndPoint}: {e.Message}");
        }
        catch (SocketException)
        {
            // The client went away mid-write; nothing to answer.
        }
        finally
        {
            socket.Dispose();
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
    }

    /// <summary>
    /// Writes one reply per complete frame in <paramref name="input"/>[0..filled) into <paramref name="output"/>;
    /// returns the bytes consumed. <paramref name="needed"/> is the size of a partial frame that does not fit the
    /// input buffer yet (0 if it fits).
    /// </summary>
    private int AnswerCompleteFrames(byte[] input, int filled, ref byte[] output, out int outputLength, out int needed)
    {
        int consumed = 0;
        outputLength = 0;
        needed = 0;
        while (filled - consumed >= BareFrame.HeaderSize)
        {
            var (length, requestId) = BareFrame.ReadHeader(input.AsSpan(consumed), maxPayload);
            int frame = BareFrame.HeaderSize + length;
            if (filled - consumed < frame)
            {
                needed = frame;
                break;
            }
            if (outputLength + frame > output.Length) output = Grow(output, outputLength + frame, outputLength);
            BareFrame.WriteHeader(output.AsSpan(outputLength), length, requestId);
            input.AsSpan(consumed + BareFrame.HeaderSize, length).CopyTo(output.AsSpan(outputLength + BareFrame.HeaderSize));
            outputLength += frame;
            consumed += frame;
        }
        return consumed;
    }

    private void SendAll(byte[] buffer, int length)
    {
        // Loopback replies are small and bounded by the client's calls in flight, so a blocking send completes at once.
        int sent = 0;
        while (sent < length) sent += socket.Send(buffer.AsSpan(sent, length - sent), SocketFlags.None);
    }

    private static byte[] Grow(byte[] buffer, int atLeast, int keep)
    {
        byte[] bigger = ArrayPool<byte>.Shared.Rent(Math.Max(atLeast, buffer.Length * 2));
        buffer.AsSpan(0, keep).CopyTo(bigger);
        ArrayPool<byte>.Shared.Return(buffer);
        return bigger;
    }
}
