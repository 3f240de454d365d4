using System.Text.Json;
using Meshwork.Discovery;
using Meshwork.Governance;
using Meshwork.Governance.Resilience;
using Meshwork.Serf;

namespace Meshwork.Gateway.Dashboard;

/// <summary>The dashboard's JSON (written by hand: no reflection, so the gateway stays NativeAOT-friendly).</summary>
internal static class DashboardJson
{
    private static readonly byte[] SnapshotPrefix = "event: snapshot\ndata: "u8.ToArray();
    private static readonly byte[] EventPrefix = "event: event\ndata: "u8.ToArray();
    private static readonly byte[] MessageEnd = "\n\n"u8.ToArray();

    public static byte[] SnapshotMessage(byte[] json) => Concat(SnapshotPrefix, json, MessageEnd);

    public static byte[] Event(DashboardEvent e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", e.Kind);
            w.WriteString("text", e.Text);
            w.WriteString("time", e.Time);
            w.WriteEndObject();
        }
        return Concat(EventPrefix, buffer.ToArray(), MessageEnd);
    }

    private static byte[] Concat(byte[] a, byte[] b, byte[] c)
    {
        var result = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(result, 0);
        b.CopyTo(result, a.Length);
        c.CopyTo(result, a.Length + b.Length);
        return result;
    }

    public static byte[] Snapshot(SerfNode? node, IReadOnlyList<Member> members, List<(string Name, IReadOnlyList<ServiceInstance> Instances, string? Error)> services,
        GovernedCallInvoker? invoker, List<MethodStats.Row> methods)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("time", DateTimeOffset.UtcNow);
            if (node is null) w.WriteNull("node");
            else w.WriteString("node", node.Name);

            w.WriteStartArray("members");
            foreach (var m in members.OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                w.WriteStartObject();
                w.WriteString("name", m.Name);
                w.WriteString("address", m.Address + ":" + m.Port);
                w.WriteString("status", MeshworkDashboard.StatusName(m.Status));
                w.WriteStartObject("tags");
                foreach (var (k, v) in m.Tags.OrderBy(t => t.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
                var rtt = node is null || m.Name == node.Name ? null : node.EstimateRtt(node.Name, m.Name);
                if (rtt is { } r) w.WriteNumber("rttMs", Math.Round(r.TotalMilliseconds, 3));
                else w.WriteNull("rttMs");
                var coordinate = node is null ? null : m.Name == node.Name ? node.GetCoordinate() : node.GetCachedCoordinate(m.Name);
                if (coordinate is { IsValid: true, Vec.Length: >= 2 })
                {
                    w.WriteStartObject("coord");
                    // Vivaldi vectors are in seconds; the page draws the first two of the eight dimensions, in ms.
                    w.WriteNumber("x", coordinate.Vec[0] * 1000);
                    w.WriteNumber("y", coordinate.Vec[1] * 1000);
                    w.WriteNumber("heightMs", coordinate.Height * 1000);
                    w.WriteNumber("error", coordinate.Error);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("coord");
                }
                w.WriteBoolean("self", node is not null && m.Name == node.Name);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartArray("services");
            foreach (var (name, instances, error) in services)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                if (error is not null) w.WriteString("error", error);
                var endpoints = invoker?.Endpoints(name) ?? [];
                w.WriteStartArray("instances");
                foreach (var i in instances.OrderBy(i => i.Id, StringComparer.Ordinal))
                {
                    w.WriteStartObject();
                    w.WriteString("id", i.Id);
                    w.WriteString("address", i.Address);
                    w.WriteString("version", i.Version.ToString());
                    if (i.Zone is not null) w.WriteString("zone", i.Zone);
                    w.WriteString("health", i.Health.ToString());
                    var endpoint = endpoints.FirstOrDefault(e => e.Instance.Id == i.Id);
                    w.WriteString("breaker", endpoint?.Breaker is { } b ? BreakerName(b.State) : "none");
                    if (endpoint is not null)
                    {
                        w.WriteNumber("outstanding", endpoint.Outstanding);
                        w.WriteNumber("latencyMs", Math.Round(endpoint.LatencyEwmaMicros / 1000, 3));
                    }
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartArray("methods");
            foreach (var m in methods)
            {
                w.WriteStartObject();
                w.WriteString("side", m.Side);
                w.WriteString("service", m.Service);
                w.WriteString("method", m.Method);
                w.WriteNumber("rate", Math.Round(m.Rate, 3));
                w.WriteNumber("errorRate", Math.Round(m.ErrorRate, 4));
                w.WriteNumber("p50Ms", Math.Round(m.P50Ms, 3));
                w.WriteNumber("p90Ms", Math.Round(m.P90Ms, 3));
                w.WriteNumber("p99Ms", Math.Round(m.P99Ms, 3));
                w.WriteNumber("calls", m.Calls);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string BreakerName(CircuitState state) => state switch
    {
        CircuitState.Closed => "closed",
        CircuitState.Open => "open",
        _ => "half_open",
    };
}
