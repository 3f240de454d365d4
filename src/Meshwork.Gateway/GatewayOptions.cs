namespace Meshwork.Gateway;

/// <summary>Settings of the HTTP gateway; each default is documented with its reason. <see cref="Validate"/> runs when the gateway is mapped.</summary>
public sealed class GatewayOptions
{
    /// <summary>Route prefix of calls: <c>POST {RoutePrefix}/{service}/{method}</c>. Default <c>/rpc</c>.</summary>
    public string RoutePrefix { get; set; } = "/rpc";

    /// <summary>Where the OpenAPI 3.1 description is served. Default <c>/openapi.json</c>, the usual place tools look.</summary>
    public string OpenApiPath { get; set; } = "/openapi.json";

    /// <summary>
    /// Largest request body accepted; larger bodies get 413 before they are parsed. Default 1 MiB: a JSON call is a
    /// few kilobytes, and the bound keeps one client from filling the gateway's memory. At least 1 KiB.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Request headers with this prefix become call metadata with the prefix removed (<c>meshwork-tenant: a</c> →
    /// <c>tenant=a</c>). Default <c>meshwork-</c>: explicit, so a browser's or proxy's own headers never leak into calls.
    /// </summary>
    public string MetadataHeaderPrefix { get; set; } = "meshwork-";

    /// <summary>
    /// Request headers forwarded as metadata under their own name. Default <c>traceparent</c>, <c>tracestate</c> (one
    /// trace across the gateway) and <c>authorization</c> (servers authenticate the caller, not the gateway).
    /// </summary>
    public ISet<string> ForwardedHeaders { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "traceparent", "tracestate", "authorization" };

    /// <summary>
    /// Time budget of a call whose request has no <c>meshwork-timeout</c> header (milliseconds). Default 30 s: an HTTP
    /// client rarely waits longer, and a call with no deadline would hold the gateway's resources forever.
    /// </summary>
    public TimeSpan DefaultTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest budget a client may ask for with <c>meshwork-timeout</c>. Default 5 min, so long server streams fit; longer asks get 400.</summary>
    public TimeSpan MaxTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Title of the OpenAPI description. Default "Meshwork gateway".</summary>
    public string Title { get; set; } = "Meshwork gateway";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        const string t = nameof(GatewayOptions);
        Path(RoutePrefix, nameof(RoutePrefix));
        Path(OpenApiPath, nameof(OpenApiPath));
        if (MaxRequestBodyBytes < 1024) throw new ArgumentException($"{t}.MaxRequestBodyBytes must be at least 1024 (was {MaxRequestBodyBytes})");
        if (MetadataHeaderPrefix is null) throw new ArgumentException($"{t}.MetadataHeaderPrefix must not be null (use a prefix nobody sends to turn the mapping off)");
        if (DefaultTimeout <= TimeSpan.Zero) throw new ArgumentException($"{t}.DefaultTimeout must be positive (was {DefaultTimeout})");
        if (MaxTimeout < DefaultTimeout) throw new ArgumentException($"{t}.MaxTimeout ({MaxTimeout}) must be at least DefaultTimeout ({DefaultTimeout})");

        static void Path(string value, string name)
        {
            if (string.IsNullOrEmpty(value) || !value.StartsWith('/')) throw new ArgumentException($"{t}.{name} must start with '/' (was '{value}')");
        }
    }
}
