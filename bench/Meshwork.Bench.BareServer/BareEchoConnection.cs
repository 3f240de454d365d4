using System.Buffers;
using System.Net.Sockets;

namespace Meshwork.Bench.Bare;

/// <summary>
/// One connection of the bare echo server: receive whatever the kernel has, answer every complete frame into one
/// output buffer, send it with one write, repeat. Replies are thereby coalesced per read, and requests that arrive
/// while a write is in progress are picked up by the next read. Buffers are pooled and reused: no allocation per call.
/// </summary>
internal sealed class BareEchoConnection(Socket socket, int maxPayload)
{
    private const int InitialBufferSize = 64 * 1024;

    private byte[] _input = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private byte[] _output = ArrayPool<byte>.Shared.Rent(InitialBufferSize);
    private int _filled;

    /// <summary>Serves with asynchronous receives (epoll, continuation on the thread pool).</summary>
    public async Task RunAsync()
    {
        try
        {
            while (OnReceived(await socket.ReceiveAsync(_input.AsMemory(_filled), SocketFlags.None))) { }
        }
        catch (Exception e) when (e is InvalidDataException or SocketException)
        {
            Report(e);
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Serves on the calling thread with blocking receives (the kernel wakes this thread directly).</summary>
    public void RunBlocking()
    {
        try
        {
            while (OnReceived(socket.Receive(_input.AsSpan(_filled), SocketFlags.None))) { }
        }
        catch (Exception e) when (e is InvalidDataException or SocketException)
        {
            Report(e);
        }
        finally
        {
            Close();
        }
    }

    /// <summary>Answers every complete frame received so far with one send; false when the client closed.</summary>
    private bool OnReceived(int received)
    {
        if (received == 0) return false;
        _filled += received;
        int consumed = AnswerCompleteFrames(_input, _filled, ref _output, out int outputLength, out int needed);
        if (outputLength > 0) SendAll(_output, outputLength);
        _filled -= consumed;
        if (_filled > 0) _input.AsSpan(consumed, _filled).CopyTo(_input);
        if (needed > _input.Length) _input = Grow(_input, needed, _filled);
        return true;
    }

    private void Report(Exception e)
    {
        // A client that goes away mid-write is normal at the end of a cell; only a malformed frame is worth a line.
        if (e is InvalidDataException) Console.Error.WriteLine($"bare echo: closing {socket.RemoteEndPoint}: {e.Message}");
    }

    private void Close()
    {
        socket.Dispose();
        ArrayPool<byte>.Shared.Return(_input);
        ArrayPool<byte>.Shared.Return(_output);
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
