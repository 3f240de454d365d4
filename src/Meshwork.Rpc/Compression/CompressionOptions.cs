using System.ComponentModel.DataAnnotations;

namespace Meshwork.Rpc.Compression;

/// <summary>Which compressors a peer knows, and when outgoing bodies are compressed.</summary>
public sealed class CompressionOptions
{
    private readonly ICompressor?[] _byId = new ICompressor?[256];

    /// <summary>Options that know gzip and brotli.</summary>
    public CompressionOptions()
    {
        Add(new GzipCompressor());
        Add(new BrotliCompressor());
    }

    /// <summary>
    /// Bodies at or above this many bytes are compressed with <see cref="DefaultAlgorithm"/> even when the call did not ask.
    /// Default 2 MiB (the brief's threshold): below it compression costs more CPU than it saves on a LAN.
    /// </summary>
    [Range(0, int.MaxValue)]
    public int AutoCompressThreshold { get; set; } = 2 * 1024 * 1024;

    /// <summary>Algorithm used for automatic compression. Default gzip (id 1), understood by every Meshwork peer.</summary>
    public byte DefaultAlgorithm { get; set; } = CompressionIds.Gzip;

    /// <summary>Registers <paramref name="compressor"/> under its id, replacing one with the same id; id 0 is rejected.</summary>
    public CompressionOptions Add(ICompressor compressor)
    {
        if (compressor.Id == CompressionIds.None) throw new ArgumentException("compression id 0 means 'none'", nameof(compressor));
        _byId[compressor.Id] = compressor;
        return this;
    }

    /// <summary>The compressor with wire id <paramref name="id"/>, or null.</summary>
    public ICompressor? Find(byte id) => _byId[id];

    /// <summary>The compressor called <paramref name="name"/> (case-insensitive), or null.</summary>
    public ICompressor? FindByName(string name)
    {
        foreach (var c in _byId)
        {
            if (c is not null && string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase)) return c;
        }
        return null;
    }

    internal ICompressor Get(byte id) => _byId[id] ??
        throw new RpcException(StatusCode.Unimplemented, $"compression id {id} is not supported by this peer");
}
