namespace Meshwork.Discovery.Etcd;

/// <summary>Settings of <see cref="EtcdServiceRegistry"/>.</summary>
public sealed class EtcdDiscoveryOptions
{
    /// <summary>etcd client URL, for example <c>http://127.0.0.1:2379</c>. Required.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>Key prefix; an instance lives at <c>prefix + service + "/" + id</c>. Default <c>/meshwork/services/</c>.</summary>
    public string Prefix { get; set; } = "/meshwork/services/";

    /// <summary>
    /// Lease time-to-live. Default 10 s: a crashed server's instances vanish within 10 s, while a keep-alive
    /// (sent every third of it) can miss twice before the lease expires.
    /// </summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Budget of one request (get, put, delete, grant). Default 5 s.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
        {
            throw new ArgumentException($"EtcdDiscoveryOptions.Endpoint '{Endpoint}' is not an http(s) URL such as http://127.0.0.1:2379");
        }
        if (string.IsNullOrEmpty(Prefix) || !Prefix.EndsWith('/')) throw new ArgumentException("EtcdDiscoveryOptions.Prefix must be non-empty and end with '/'");
        if (LeaseTtl < TimeSpan.FromSeconds(1)) throw new ArgumentException("EtcdDiscoveryOptions.LeaseTtl must be at least 1 s (etcd counts in seconds)");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException("EtcdDiscoveryOptions.RequestTimeout must be positive");
    }
}
