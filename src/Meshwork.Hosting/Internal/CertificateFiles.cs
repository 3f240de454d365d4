using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Meshwork.Hosting.Internal;

/// <summary>Loads certificates named in configuration. Every failure is a <see cref="FormatException"/> naming the key.</summary>
internal static class CertificateFiles
{
    /// <summary>
    /// A certificate with its private key: PKCS#12 (<c>.pfx</c>, <c>.p12</c>) with an optional password, or PEM with the
    /// key either in the same file or in <paramref name="keyPath"/> (encrypted PEM keys take the password).
    /// </summary>
    public static X509Certificate2 LoadWithKey(string path, string? password, string? keyPath, string key)
    {
        try
        {
            if (IsPkcs12(path)) return X509CertificateLoader.LoadPkcs12FromFile(path, password);
            return string.IsNullOrEmpty(password)
                ? X509Certificate2.CreateFromPemFile(path, string.IsNullOrEmpty(keyPath) ? null : keyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(path, password, string.IsNullOrEmpty(keyPath) ? null : keyPath);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new FormatException($"{key}: cannot load certificate '{path}'{(string.IsNullOrEmpty(keyPath) ? "" : $" with key '{keyPath}'")}: {ex.Message}", ex);
        }
    }

    /// <summary>Trusted root certificates: a PEM bundle, or one DER certificate.</summary>
    public static X509Certificate2Collection LoadTrustedRoots(string path, string key)
    {
        try
        {
            var roots = new X509Certificate2Collection();
            if (File.ReadAllText(path).Contains("-----BEGIN", StringComparison.Ordinal)) roots.ImportFromPemFile(path);
            else roots.Add(X509CertificateLoader.LoadCertificateFromFile(path));
            if (roots.Count == 0) throw new CryptographicException("the file holds no certificate");
            return roots;
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new FormatException($"{key}: cannot load trusted certificates from '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>
    /// Accepts a peer certificate that chains to one of <paramref name="roots"/> (and only those: the system store is
    /// not consulted). Other policy errors, such as a host-name mismatch, still fail the handshake.
    /// </summary>
    public static RemoteCertificateValidationCallback TrustOnly(X509Certificate2Collection roots) => (_, certificate, _, errors) =>
    {
        if (certificate is null) return false;
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return chain.Build(leaf);
    };

    private static bool IsPkcs12(string path) =>
        path.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
}
