using System.Runtime.InteropServices;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// A 64-bit counter alone on its cache line (128 bytes: the line and the adjacent-line prefetcher's pair). Two threads
/// that each update their own counter in the same object otherwise pull one shared line back and forth between cores
/// on every update; on the 2-core virtual machines the benchmarks run on, one such transfer costs about 200 ns, more
/// than the rest of the operation.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 192)]
internal struct PaddedCounter
{
    /// <summary>The value; update it with <see cref="Interlocked"/> or <see cref="Volatile"/> through a ref.</summary>
    [FieldOffset(64)]
    public long Value;
}
