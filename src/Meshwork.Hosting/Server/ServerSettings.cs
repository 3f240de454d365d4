using Meshwork.Hosting.Internal;

namespace Meshwork.Hosting.Server;

// The shape of the Meshwork:Server section. Every value is nullable: only what the configuration sets overrides the
// RpcServerOptions default. Durations are strings so they can be written as "10s" (see ConfigValues.Duration).

internal sealed class ServerSettings
{
    public List<string>? Endpoints { get; set; }
    public int? MaxFrameSize { get; set; }
    public int? MaxMessageSize { get; set; }
    public int? MaxConnections { get; set; }
    public int? MaxConcurrentStreamsPerConnection { get; set; }
    public int? MaxConcurrentCalls { get; set; }
    public long? MaxQueuedWriteBytes { get; set; }
    public long? MaxBufferedBytes { get; set; }
    public string? WriteStallTimeout { get; set; }
    public bool? TrimMemoryAfterBurst { get; set; }
    public string? DrainTimeout { get; set; }
    public string? IdleTimeout { get; set; }
    public string? ProtocolErrorLogInterval { get; set; }
    public int? StreamWindow { get; set; }
    public bool? DetailedErrors { get; set; }
    public bool? InlineHandlers { get; set; }
    public CompressionSettings? Compression { get; set; }
    public ServerTlsSettings? Tls { get; set; }
}

internal sealed class ServerTlsSettings
{
    /// <summary>Set false to keep a TLS section in the file but serve plaintext. Default true when a certificate is given.</summary>
    public bool? Enabled { get; set; }
    public string? CertificatePath { get; set; }
    public string? CertificatePassword { get; set; }
    public string? KeyPath { get; set; }
    public bool? ClientCertificateRequired { get; set; }
    public string? ClientCaPath { get; set; }
    public string? HandshakeTimeout { get; set; }
}
