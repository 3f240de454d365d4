using System.Buffers;

namespace Meshwork.Rpc.Tests;

/// <summary>Byte sequences made of more than one segment, as a pipe hands over data that crossed a buffer boundary.</summary>
internal static class Sequences
{
    /// <summary><paramref name="data"/> as two segments, the first <paramref name="cut"/> bytes long.</summary>
    public static ReadOnlySequence<byte> Split(ReadOnlyMemory<byte> data, int cut)
    {
        var first = new Segment(data[..cut], 0);
        var last = first.Append(data[cut..]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
