using Meshwork.Rpc.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meshwork.Gateway;

/// <summary>Maps the gateway's endpoints.</summary>
public static class GatewayEndpointExtensions
{
    /// <summary>
    /// Maps <c>POST {RoutePrefix}/{service}/{method}</c> and <c>GET {OpenApiPath}</c>, calling through
    /// <paramref name="invoker"/>. Returns the gateway (for the dashboard and tests).
    /// </summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public static MeshworkGateway MapMeshworkGateway(this IEndpointRouteBuilder endpoints, CallInvoker invoker, GatewayMethods methods, Action<GatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = new GatewayOptions();
        configure?.Invoke(options);
        var gateway = new MeshworkGateway(invoker, methods, options);
        endpoints.MapPost(options.RoutePrefix.TrimEnd('/') + "/{service}/{method}", gateway.HandleAsync);
        endpoints.MapGet(options.OpenApiPath, (HttpContext http) =>
        {
            http.Response.ContentType = "application/json; charset=utf-8";
            return http.Response.Body.WriteAsync(gateway.OpenApi.Json).AsTask();
        });
        return gateway;
    }
}
