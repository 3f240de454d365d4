using Meshwork.Rpc.Compression;

namespace Meshwork.Hosting.Internal;

/// <summary>The <c>Compression</c> subsection shared by the server and client sections.</summary>
internal sealed class CompressionSettings
{
    public int? AutoCompressThreshold { get; set; }
    public string? DefaultAlgorithm { get; set; }

    public void ApplyTo(CompressionOptions options, string section)
    {
        if (AutoCompressThreshold is { } threshold)
        {
            if (threshold < 0) throw new FormatException($"{section}:Compression:AutoCompressThreshold cannot be negative (was {threshold})");
            options.AutoCompressThreshold = threshold;
        }
        if (!string.IsNullOrWhiteSpace(DefaultAlgorithm))
        {
            var compressor = options.FindByName(DefaultAlgorithm.Trim()) ??
                throw new FormatException($"{section}:Compression:DefaultAlgorithm: unknown algorithm '{DefaultAlgorithm}' (known: gzip, br)");
            options.DefaultAlgorithm = compressor.Id;
        }
    }
}
