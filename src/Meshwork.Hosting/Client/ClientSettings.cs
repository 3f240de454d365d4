using Meshwork.Hosting.Internal;

namespace Meshwork.Hosting.Client;

// The shape of a Meshwork:Clients:{ServiceName} section. Every value is nullable: only what the configuration sets
// overrides the RpcClientOptions default. Durations are strings so they can be written as "10s".

internal sealed class ClientSettings
{
    public string? Address { get; set; }
    public int? ConnectionsPerEndpoint { get; set; }
    public int? MaxConcurrentStreamsPerConnection { get; set; }
    public int? MaxFrameSize { get; set; }
    public int? MaxMessageSize { get; set; }
    public long? MaxQueuedWriteBytes { get; set; }
    public string? WriteStallTimeout { get; set; }
    public string? DefaultTimeout { get; set; }
    public string? ConnectTimeout { get; set; }
    public string? ReconnectBackoffInitial { get; set; }
    public string? ReconnectBackoffMax { get; set; }
    public string? KeepAliveInterval { get; set; }
    public string? KeepAliveTimeout { get; set; }
    public string? IdleTimeout { get; set; }
    public int? StreamWindow { get; set; }
    public CompressionSettings? Compression { get; set; }
    public ClientTlsSettings? Tls { get; set; }
}

internal sealed class ClientTlsSettings
{
    public bool? Enabled { get; set; }
    public string? TargetHost { get; set; }
    public string? CertificatePath { get; set; }
    public string? CertificatePassword { get; set; }
    public string? KeyPath { get; set; }
    public string? ServerCaPath { get; set; }
}
