using System.Text.Json;
using Meshwork.Diagnostics.OpenTelemetry;
using Meshwork.Rpc.Client;
using Meshwork.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Meshwork.Diagnostics.Tests;

/// <summary>
/// A real Prometheus server (Debian's prometheus 2.42, installed by test.sh) scrapes the endpoint of
/// <see cref="MeshworkOpenTelemetryExtensions.MapMeshworkMetrics"/>; the test then asks Prometheus, through its query
/// API, for the RPC series: what an operator's dashboards and alerts would read.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class PrometheusScrapeTests
{
    [Fact]
    public async Task A_real_prometheus_scrapes_the_metrics_endpoint_and_answers_queries_on_the_rpc_series()
    {
        await using var site = await KestrelHost.StartAsync(
            services => services.AddMeshworkTelemetry(o => o.ServiceName = "prometheus-test-node"),
            app => app.MapMeshworkMetrics());

        await using var server = await Echo.StartAsync(Echo.Define(), "prom");
        await using var channel = RpcChannel.ForEndpoint(server.BoundEndpoints[0]);
        var client = new InstrumentedCallInvoker(channel);
        for (int i = 0; i < 5; i++) await client.UnaryAsync(Echo.Say, "x");

        await using var prometheus = await PrometheusServer.StartAsync($"127.0.0.1:{site.Port}");
        // The scrape target is healthy ...
        await Eventually.TrueAsync(async () => (await prometheus.QueryAsync("up{job=\"meshwork\"}")).Any(s => s.Value == "1"),
            "prometheus reporting the meshwork target up");
        // ... and the RPC series are there with their labels: calls made by the client, and the server's latency histogram.
        var calls = await Eventually.ValueAsync(() => prometheus.QueryAsync("meshwork_rpc_client_calls_total{rpc_service=\"echo\"}"),
            series => series.Count > 0, "the client call counter in prometheus");
        Assert.Contains(calls, s => double.Parse(s.Value, System.Globalization.CultureInfo.InvariantCulture) >= 5);
        var buckets = await Eventually.ValueAsync(() => prometheus.QueryAsync("rpc_server_call_duration_seconds_bucket{rpc_service=\"echo\"}"),
            series => series.Count > 0, "the server latency histogram in prometheus");
        Assert.Contains(buckets, s => s.Labels.TryGetValue("rpc_method", out var method) && method == "Say");
    }

    /// <summary>One series of an instant query: its labels and its value as Prometheus prints it.</summary>
    private sealed record Series(Dictionary<string, string> Labels, string Value);

    /// <summary>A <c>prometheus</c> process on a free port, scraping one target every second, with its data in a temporary folder.</summary>
    private sealed class PrometheusServer : IAsyncDisposable
    {
        private readonly RunningProcess _process;
        private readonly string _folder;
        private readonly HttpClient _http;

        private PrometheusServer(RunningProcess process, string folder, int port)
        {
            _process = process;
            _folder = folder;
            _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        }

        public static async Task<PrometheusServer> StartAsync(string target)
        {
            if (!(Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, "prometheus"))))
            {
                throw new InvalidOperationException("prometheus is not installed (test.sh installs the Debian package 'prometheus')");
            }
            var folder = Directory.CreateTempSubdirectory("meshwork-prometheus-").FullName;
            var config = Path.Combine(folder, "prometheus.yml");
            await File.WriteAllTextAsync(config,
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n" +
                "scrape_configs:\n  - job_name: meshwork\n    metrics_path: /metrics\n" +
                $"    static_configs:\n      - targets: ['{target}']\n");
            int port = FreePort.TcpAndUdp();
            var process = RunningProcess.Start("prometheus",
            [
                $"--config.file={config}", $"--storage.tsdb.path={Path.Combine(folder, "data")}",
                $"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
            ]);
            var prometheus = new PrometheusServer(process, folder, port);
            try
            {
                await Eventually.TrueAsync(async () =>
                {
                    if (process.HasExited) throw new InvalidOperationException($"prometheus exited: {process.Log}");
                    try
                    {
                        return (await prometheus._http.GetAsync("/-/ready")).IsSuccessStatusCode;
                    }
                    catch (HttpRequestException)
                    {
                        return false;
                    }
                }, "prometheus ready");
                return prometheus;
            }
            catch
            {
                await prometheus.DisposeAsync();
                throw;
            }
        }

        /// <summary>Runs an instant query and returns its vector.</summary>
        public async Task<List<Series>> QueryAsync(string promql)
        {
            using var response = await _http.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var root = json.RootElement;
            if (root.GetProperty("status").GetString() != "success")
            {
                throw new InvalidOperationException($"prometheus refused '{promql}': {root}");
            }
            var list = new List<Series>();
            foreach (var item in root.GetProperty("data").GetProperty("result").EnumerateArray())
            {
                var labels = item.GetProperty("metric").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
                list.Add(new Series(labels, item.GetProperty("value")[1].GetString() ?? ""));
            }
            return list;
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _process.DisposeAsync();
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a file still held open is left for the temp cleaner.
            }
        }
    }
}
