using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meshwork.Gateway.Dashboard;

/// <summary>Maps the dashboard's page, assets, snapshot and live stream.</summary>
public static class DashboardEndpointExtensions
{
    private static readonly Dictionary<string, (string ContentType, byte[] Body)> s_assets = LoadAssets();

    private static Dictionary<string, (string, byte[])> LoadAssets()
    {
        var assembly = typeof(DashboardEndpointExtensions).Assembly;
        var assets = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        foreach (var (file, type) in new[] { ("index.html", "text/html; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"), ("app.css", "text/css; charset=utf-8") })
        {
            using var stream = assembly.GetManifestResourceStream("dashboard/" + file)
                ?? throw new InvalidOperationException($"the dashboard asset {file} is missing from {assembly.GetName().Name}");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            assets[file] = (type, copy.ToArray());
        }
        return assets;
    }

    /// <summary>
    /// Maps <c>{PathPrefix}/</c> (the page, with <c>app.js</c> and <c>app.css</c>), <c>{PathPrefix}/api/snapshot</c> (JSON)
    /// and <c>{PathPrefix}/api/events</c> (server-sent events: <c>snapshot</c> and <c>event</c> messages).
    /// </summary>
    public static IEndpointRouteBuilder MapMeshworkDashboard(this IEndpointRouteBuilder endpoints, MeshworkDashboard dashboard)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(dashboard);
        var prefix = dashboard.Options.PathPrefix == "/" ? "" : dashboard.Options.PathPrefix;
        // One route for "/dashboard" and "/dashboard/" (routing treats them alike): the page's relative links need the slash.
        endpoints.MapGet(prefix + "/", (HttpContext http) =>
        {
            if (http.Request.Path.Value?.EndsWith('/') == true) return Asset(http, "index.html");
            http.Response.Redirect(http.Request.PathBase + prefix + "/");
            return Task.CompletedTask;
        });
        endpoints.MapGet(prefix + "/app.js", (HttpContext http) => Asset(http, "app.js"));
        endpoints.MapGet(prefix + "/app.css", (HttpContext http) => Asset(http, "app.css"));
        endpoints.MapGet(prefix + "/api/snapshot", (HttpContext http) =>
        {
            http.Response.ContentType = "application/json; charset=utf-8";
            return http.Response.Body.WriteAsync(dashboard.Snapshot).AsTask();
        });
        endpoints.MapGet(prefix + "/api/events", (HttpContext http) => StreamAsync(http, dashboard));
        return endpoints;
    }

    private static Task Asset(HttpContext http, string name)
    {
        var (type, body) = s_assets[name];
        http.Response.ContentType = type;
        http.Response.Headers.CacheControl = "no-cache";
        return http.Response.Body.WriteAsync(body).AsTask();
    }

    private static async Task StreamAsync(HttpContext http, MeshworkDashboard dashboard)
    {
        var reader = dashboard.Subscribe(out var registration);
        if (reader is null)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await http.Response.WriteAsync($"the dashboard already streams to {dashboard.Options.MaxClients} pages (MaxClients)").ConfigureAwait(false);
            return;
        }
        using (registration)
        {
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            try
            {
                await foreach (var message in reader.ReadAllAsync(http.RequestAborted).ConfigureAwait(false))
                {
                    await http.Response.Body.WriteAsync(message, http.RequestAborted).ConfigureAwait(false);
                    if (reader.Count == 0) await http.Response.Body.FlushAsync(http.RequestAborted).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // The page went away.
            }
        }
    }
}
