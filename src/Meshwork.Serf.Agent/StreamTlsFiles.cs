using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Gossip.Security;

namespace Meshwork.Serf.Agent;

/// <summary>Builds <see cref="StreamTlsOptions"/> from the agent's certificate, key and CA files.</summary>
internal static class StreamTlsFiles
{
    /// <exception cref="AgentStartException">A file is missing or unreadable; the message names it.</exception>
    public static StreamTlsOptions Load(SerfAgentOptions o)
    {
        var certFile = o.StreamTlsCertFile!;
        var tls = new StreamTlsOptions { AcceptPlainStreams = o.StreamTlsAcceptPlain };
        try
        {
            var extension = Path.GetExtension(certFile).ToLowerInvariant();
            tls.Certificate = extension is ".pfx" or ".p12"
                ? X509CertificateLoader.LoadPkcs12FromFile(certFile, password: null)
                : X509Certificate2.CreateFromPemFile(certFile, o.StreamTlsKeyFile);
        }
        catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
        {
            throw new AgentStartException($"stream TLS: cannot load certificate {certFile}{(o.StreamTlsKeyFile is { } k ? " with key " + k : "")}: {ex.Message}", ex);
        }
        if (o.StreamTlsCaFile is { } caFile)
        {
            try
            {
                tls.TrustedAuthorities.ImportFromPemFile(caFile);
            }
            catch (Exception ex) when (ex is IOException or CryptographicException or UnauthorizedAccessException or ArgumentException)
            {
                throw new AgentStartException($"stream TLS: cannot load CA file {caFile}: {ex.Message}", ex);
            }
            if (tls.TrustedAuthorities.Count == 0) throw new AgentStartException($"stream TLS: CA file {caFile} holds no PEM certificate");
        }
        try
        {
            tls.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new AgentStartException($"stream TLS: {ex.Message}", ex);
        }
        return tls;
    }
}
