using System.Buffers;
using System.Globalization;
using Meshwork.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Meshwork.Gateway;

/// <summary>
/// The HTTP entry point: turns <c>POST {prefix}/{service}/{method}</c> with a JSON body into a call through a
/// <see cref="CallInvoker"/> (a governed invoker gives discovery, balancing and fail-over), with request headers as
/// metadata and the call's status as the HTTP status. Map it with
/// <see cref="GatewayEndpointExtensions.MapMeshworkGateway"/>.
/// </summary>
public sealed class MeshworkGateway
{
    /// <summary>Request header carrying the call's time budget in milliseconds.</summary>
    public const string TimeoutHeader = "meshwork-timeout";

    private readonly CallInvoker _invoker;

    /// <summary>A gateway calling through <paramref name="invoker"/> (wrapped so that calls get spans and carry the HTTP request's trace).</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public MeshworkGateway(CallInvoker invoker, GatewayMethods methods, GatewayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(invoker);
        ArgumentNullException.ThrowIfNull(methods);
        Options = options ?? new GatewayOptions();
        Options.Validate();
        _invoker = invoker as InstrumentedCallInvoker ?? new InstrumentedCallInvoker(invoker);
        Methods = methods;
        OpenApi = new OpenApiDocument(methods, Options);
    }

    /// <summary>The settings.</summary>
    public GatewayOptions Options { get; }

    /// <summary>The exposed methods.</summary>
    public GatewayMethods Methods { get; }

    internal OpenApiDocument OpenApi { get; }

    /// <summary>Handles one call request; the route supplies <c>service</c> and <c>method</c>.</summary>
    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var service = http.Request.RouteValues["service"] as string ?? "";
        var name = http.Request.RouteValues["method"] as string ?? "";
        var method = Methods.Find(service, name);
        if (method is null)
        {
            await GatewayError.WriteAsync(http, StatusCodes.Status404NotFound, StatusCode.NotFound,
                $"the gateway exposes no method '{service}/{name}' (it exposes: {string.Join(", ", Methods.Names)})").ConfigureAwait(false);
            return;
        }
        if (http.Request.ContentType is { Length: > 0 } type && !IsJson(type))
        {
            await GatewayError.WriteAsync(http, StatusCodes.Status415UnsupportedMediaType, StatusCode.InvalidArgument,
                $"the body must be JSON (Content-Type application/json), not '{type}'").ConfigureAwait(false);
            return;
        }
        if (!TryBuildOptions(http, out var options, out var problem))
        {
            await GatewayError.WriteAsync(http, StatusCodes.Status400BadRequest, StatusCode.InvalidArgument, problem!).ConfigureAwait(false);
            return;
        }
        var body = await ReadBodyAsync(http).ConfigureAwait(false);
        if (body is null)
        {
            await GatewayError.WriteAsync(http, StatusCodes.Status413PayloadTooLarge, StatusCode.ResourceExhausted,
                $"the body is larger than the gateway's limit of {Options.MaxRequestBodyBytes} bytes (MaxRequestBodyBytes)").ConfigureAwait(false);
            return;
        }
        try
        {
            if (body.Value.Length == 0)
            {
                await GatewayError.WriteAsync(http, StatusCodes.Status400BadRequest, StatusCode.InvalidArgument,
                    $"the body is empty; send the JSON request of {service}/{name}").ConfigureAwait(false);
                return;
            }
            await method.InvokeAsync(http, _invoker, body.Value.Memory, options).ConfigureAwait(false);
        }
        finally
        {
            body.Value.Dispose();
        }
    }

    private static bool IsJson(string contentType)
    {
        var media = contentType.Split(';', 2)[0].Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase) || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private bool TryBuildOptions(HttpContext http, out CallOptions options, out string? problem)
    {
        options = default;
        problem = null;
        var timeout = Options.DefaultTimeout;
        Metadata? metadata = null;
        foreach (var (key, values) in http.Request.Headers)
        {
            if (key.Equals(TimeoutHeader, StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(values.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out long ms) || ms <= 0)
                {
                    problem = $"header {TimeoutHeader} must be a positive number of milliseconds (was '{values}')";
                    return false;
                }
                if (TimeSpan.FromMilliseconds(ms) > Options.MaxTimeout)
                {
                    problem = $"header {TimeoutHeader} asks for {ms} ms, more than the gateway's limit of {Options.MaxTimeout.TotalMilliseconds:0} ms (MaxTimeout)";
                    return false;
                }
                timeout = TimeSpan.FromMilliseconds(ms);
                continue;
            }
            string? metadataKey = null;
            if (Options.ForwardedHeaders.Contains(key)) metadataKey = key.ToLowerInvariant();
            else if (Options.MetadataHeaderPrefix.Length > 0 && key.Length > Options.MetadataHeaderPrefix.Length
                && key.StartsWith(Options.MetadataHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                metadataKey = key[Options.MetadataHeaderPrefix.Length..].ToLowerInvariant();
            }
            if (metadataKey is null) continue;
            metadata ??= new Metadata();
            foreach (var v in values)
            {
                if (v is not null) metadata.Add(metadataKey, v);
            }
        }
        options = new CallOptions(http.RequestAborted) { Timeout = timeout, Headers = metadata };
        return true;
    }

    /// <summary>The body in a pooled buffer, or null when it is over the limit (read no further than the limit).</summary>
    private async Task<PooledBody?> ReadBodyAsync(HttpContext http)
    {
        long max = Options.MaxRequestBodyBytes;
        if (http.Request.ContentLength > max) return null;
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = max + 1;
        var buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min(max + 1, http.Request.ContentLength + 1 ?? 4096));
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > max) break;
                    var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(max + 1, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                int read = await http.Request.Body.ReadAsync(buffer.AsMemory(length), http.RequestAborted).ConfigureAwait(false);
                if (read == 0) break;
                length += read;
                if (length > max) break;
            }
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            length = (int)Math.Min(int.MaxValue, max + 1); // Kestrel's own limit hit: the body is too large
        }
        if (length > max)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            return null;
        }
        return new PooledBody(buffer, length);
    }

    private readonly struct PooledBody(byte[] buffer, int length) : IDisposable
    {
        public ReadOnlyMemory<byte> Memory => buffer.AsMemory(0, length);

        public int Length => length;

        public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
    }
}
