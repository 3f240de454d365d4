using System.Diagnostics;
using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Meshwork.Diagnostics;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Bench.Micro;

/// <summary>
/// Cost of the client instrumentation per call, over an invoker that answers at once (so only the wrapper is
/// measured): the bare invoker, the wrapper with nobody listening, and the wrapper with an ActivityListener that records
/// every span plus a MeterListener on every Meshwork instrument.
/// </summary>
[MemoryDiagnoser]
public class TracingBenchmarks
{
    private static readonly Method<string, string> Echo = new("bench", "Echo", CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());
    private readonly CallInvoker _bare = new AnsweringInvoker();
    private CallInvoker _instrumented = null!;
    private ActivityListener? _spans;
    private MeterListener? _metrics;

    [Params(false, true)]
    public bool Listening { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _instrumented = new InstrumentedCallInvoker(_bare);
        if (!Listening) return;
        _spans = new ActivityListener
        {
            ShouldListenTo = s => s.Name == MeshworkTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(_spans);
        _metrics = new MeterListener { InstrumentPublished = (i, l) => { if (i.Meter.Name == MeshworkTelemetry.RpcMeterName) l.EnableMeasurementEvents(i); } };
        _metrics.SetMeasurementEventCallback<long>((_, _, _, _) => { });
        _metrics.SetMeasurementEventCallback<double>((_, _, _, _) => { });
        _metrics.Start();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _spans?.Dispose();
        _metrics?.Dispose();
    }

    [Benchmark(Baseline = true)]
    public ValueTask<string> Bare() => _bare.UnaryAsync(Echo, "x");

    [Benchmark]
    public ValueTask<string> Instrumented() => _instrumented.UnaryAsync(Echo, "x");

    private sealed class AnsweringInvoker : CallInvoker
    {
        public override ValueTask<TResponse> UnaryAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
            new((TResponse)(object)request!);

        public override ValueTask OneWayAsync<TRequest>(Method<TRequest, Empty> method, TRequest request, CallOptions options = default) => default;

        public override IAsyncEnumerable<TResponse> ServerStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, TRequest request, CallOptions options = default) =>
            throw new NotSupportedException();

        public override ValueTask<TResponse> ClientStreamingAsync<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default) =>
            throw new NotSupportedException();

        public override IAsyncEnumerable<TResponse> DuplexStreaming<TRequest, TResponse>(Method<TRequest, TResponse> method, IAsyncEnumerable<TRequest> requests, CallOptions options = default) =>
            throw new NotSupportedException();
    }
}
