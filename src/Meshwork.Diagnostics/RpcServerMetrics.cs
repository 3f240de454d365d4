using System.Diagnostics;
using System.Diagnostics.Metrics;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Server;

namespace Meshwork.Diagnostics;

/// <summary>
/// Observable instruments of whole servers on the <see cref="MeshworkTelemetry.RpcMeterName"/> meter: open
/// connections, calls in flight, buffered bytes against the budget, back-pressure pauses and protocol errors by kind,
/// read from the counters the server keeps anyway, only when a listener collects. Each measurement carries the server's
/// name as <c>meshwork.server</c>.
/// </summary>
public static class RpcServerMetrics
{
    /// <summary>Attribute naming the server (<see cref="RpcServer.Name"/>).</summary>
    public const string ServerAttribute = "meshwork.server";

    /// <summary>Attribute naming the protocol error kind.</summary>
    public const string ErrorKindAttribute = "meshwork.protocol_error";

    private static readonly TrackedSet<RpcServer> s_servers = new();

    static RpcServerMetrics()
    {
        var meter = RpcInstruments.Meter;
        meter.CreateObservableUpDownCounter("meshwork.rpc.server.connections", () => Each(s => s.ConnectionCount), "{connection}", "Client connections open.");
        meter.CreateObservableUpDownCounter("meshwork.rpc.server.calls_in_flight", () => Each(s => s.ActiveCalls), "{call}",
            "Calls being handled, counted by the server itself (includes calls refused by middleware before the handler).");
        meter.CreateObservableUpDownCounter("meshwork.rpc.server.buffered_bytes", () => Each(s => s.Buffers.BufferedBytes), "By",
            "Bytes held for connections (queued replies, unparsed input, requests being served) against MaxBufferedBytes.");
        meter.CreateObservableCounter("meshwork.rpc.server.read_pauses", () => Each(s => s.Buffers.ReadPauses), "{pause}",
            "Times back-pressure paused reading from a connection.");
        meter.CreateObservableCounter("meshwork.rpc.server.stalled_connections_closed", () => Each(s => s.Buffers.StalledConnectionsClosed), "{connection}",
            "Connections closed because their client stopped reading.");
        meter.CreateObservableCounter("meshwork.rpc.server.protocol_errors", ProtocolErrors, "{error}", "Protocol errors made by clients, by kind.");
    }

    /// <summary>Reports on <paramref name="server"/> until the returned handle is disposed.</summary>
    public static IDisposable Track(RpcServer server)
    {
        ArgumentNullException.ThrowIfNull(server);
        return s_servers.Add(server);
    }

    private static IEnumerable<Measurement<long>> Each(Func<RpcServer, long> read)
    {
        foreach (var server in s_servers.Items) yield return new Measurement<long>(read(server), new KeyValuePair<string, object?>(ServerAttribute, server.Name));
    }

    private static IEnumerable<Measurement<long>> ProtocolErrors()
    {
        foreach (var server in s_servers.Items)
        {
            foreach (var (kind, count) in server.ProtocolErrors.Snapshot())
            {
                if (count == 0) continue;
                yield return new Measurement<long>(count, new TagList { { ServerAttribute, server.Name }, { ErrorKindAttribute, KindName(kind) } });
            }
        }
    }

    private static string KindName(ProtocolErrorKind kind) => kind.ToString();
}
