namespace Meshwork.Gossip.Wire;

/// <summary>
/// LZW in the flavour of Go's compress/lzw with LSB bit order and 8-bit literals (GIF style):
/// 256 = clear, 257 = end of information, codes start 9 bits wide and grow to 12.
/// </summary>
internal static class Lzw
{
    private const int Clear = 256;
    private const int Eof = 257;
    private const int MaxWidth = 12;
    private const int MaxCode = (1 << MaxWidth) - 1;

    /// <summary>Decompresses a complete stream; throws if the end code is missing or the output exceeds <paramref name="maxOutput"/> bytes.</summary>
    public static byte[] Decompress(ReadOnlySpan<byte> input, int maxOutput = int.MaxValue)
    {
        var output = new List<byte>(input.Length * 3);
        var prefix = new int[1 << MaxWidth];
        var suffix = new byte[1 << MaxWidth];
        var scratch = new byte[1 << MaxWidth];
        int width = 9, hi = Eof, overflow = 1 << 9, last = -1;
        uint bits = 0; var nBits = 0; var pos = 0;
        while (true)
        {
            while (nBits < width)
            {
                if (pos >= input.Length) { throw new WireFormatException("lzw: unexpected end of data"); }
                bits |= (uint)input[pos++] << nBits;
                nBits += 8;
            }
            var code = (int)(bits & ((1u << width) - 1));
            bits >>= width;
            nBits -= width;

            if (code < Clear)
            {
                output.Add((byte)code);
                if (last != -1) { suffix[hi] = (byte)code; prefix[hi] = last; }
            }
            else if (code == Clear)
            {
                width = 9; hi = Eof; overflow = 1 << 9; last = -1;
                continue;
            }
            else if (code == Eof)
            {
                return output.ToArray();
            }
            else if (code <= hi && last != -1)
            {
                var kwkwk = code == hi;
                var c = kwkwk ? last : code;
                var sp = scratch.Length;
                while (c >= Clear) { scratch[--sp] = suffix[c]; c = prefix[c]; }
                scratch[--sp] = (byte)c;
                for (var i = sp; i < scratch.Length; i++) { output.Add(scratch[i]); }
                if (kwkwk) { output.Add((byte)c); }
                suffix[hi] = (byte)c;
                prefix[hi] = last;
            }
            else
            {
                throw new WireFormatException("lzw: invalid code");
            }
            // LZW expands up to ~4 KiB per 12-bit code: bound the output so one datagram cannot claim hundreds of MiB.
            if (output.Count > maxOutput) { throw new WireFormatException($"lzw: output exceeds {maxOutput} bytes"); }
            last = code;
            hi++;
            if (hi >= overflow)
            {
                if (width == MaxWidth) { last = -1; hi--; }
                else { width++; overflow <<= 1; }
            }
        }
    }

    /// <summary>Compresses like Go's writer: a leading clear code, table reset at 4095, trailing end code.</summary>
    public static byte[] Compress(ReadOnlySpan<byte> input)
    {
        var output = new List<byte>(input.Length / 2 + 8);
        uint bits = 0; var nBits = 0; var width = 9; var overflow = 1 << 9; var hi = Eof;
        var table = new Dictionary<int, int>();

        void Emit(int code)
        {
            bits |= (uint)code << nBits;
            nBits += width;
            while (nBits >= 8) { output.Add((byte)bits); bits >>= 8; nBits -= 8; }
        }

        // Returns false when the table was reset (the caller must not store a new entry).
        bool IncrementHi()
        {
            hi++;
            if (hi == overflow) { width++; overflow <<= 1; }
            if (hi == MaxCode)
            {
                Emit(Clear);
                width = 9; overflow = 1 << 9; hi = Eof; table.Clear();
                return false;
            }
            return true;
        }

        Emit(Clear);
        if (input.Length > 0)
        {
            int saved = input[0];
            for (var i = 1; i < input.Length; i++)
            {
                var key = (saved << 8) | input[i];
                if (table.TryGetValue(key, out var found)) { saved = found; continue; }
                Emit(saved);
                saved = input[i];
                if (IncrementHi()) { table[key] = hi; }
            }
            Emit(saved);
            IncrementHi();
        }
        Emit(Eof);
        if (nBits > 0) { output.Add((byte)bits); }
        return output.ToArray();
    }
}
