using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Sockets;
using Meshwork.Rpc;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Server;

namespace Meshwork.Tars;

/// <summary>
/// One accepted TARS connection: a read loop that cuts frames (bounded by the maximum packet size), decodes request
/// packets and launches calls; replies are written whole under a lock. A malformed frame closes the connection, as
/// C++, Go and Node servers do. Over TCP the stream is the socket's, over TLS an authenticated <c>SslStream</c>; a UDP
/// peer (one remote address) has no stream: <see cref="TarsUdpListener"/> feeds it datagrams and carries its replies.
/// </summary>
internal sealed class TarsServerConnection : DeadlineSweeper.ISweepable
{
    private readonly TarsServer _server;
    private readonly Socket? _socket;
    private readonly Stream? _stream;
    private readonly PipeReader? _input;
    private readonly TarsUdpListener? _datagrams;
    private readonly System.Net.EndPoint? _remote;
    private readonly int _maxReplySize;
    private readonly TarsFrameBatcher? _output;

    // Calls start from here rather than one thread-pool work item each: the requests of one read cost one or two work
    // items, and a handler that blocks is worked around by the sweep's progress check (see RunQueue).
    private readonly RunQueue _handlers = new();
    private readonly CancellationTokenSource _closing = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentSet _calls = new();
    private int _closedFlag;
    private volatile bool _stopReading;

    public long LastActivityMicros;
    public int InFlightCalls;

    public TarsServerConnection(TarsServer server, Socket socket, string peer)
        : this(server, socket, new NetworkStream(socket, ownsSocket: true), peer)
    {
    }

    /// <summary>A stream connection: <paramref name="stream"/> is the socket's (TCP) or a TLS stream over it (ssl).</summary>
    public TarsServerConnection(TarsServer server, Socket socket, Stream stream, string peer)
    {
        _server = server;
        _socket = socket;
        Peer = peer;
        _stream = stream;
        _input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        _output = new TarsFrameBatcher(stream, _ => Close(), server.Options.MaxQueuedWriteBytes);
        _maxReplySize = server.Options.MaxPacketSize;
        ClientCertificate = (stream as System.Net.Security.SslStream)?.RemoteCertificate as System.Security.Cryptography.X509Certificates.X509Certificate2;
        LastActivityMicros = Clock.NowMicros;
        DeadlineSweeper.Register(this);
    }

    /// <summary>A UDP peer: requests arrive through <see cref="OnDatagram"/>, replies leave as datagrams to <paramref name="remote"/>.</summary>
    public TarsServerConnection(TarsServer server, TarsUdpListener datagrams, System.Net.EndPoint remote, string peer)
    {
        _server = server;
        _datagrams = datagrams;
        _remote = remote;
        Peer = peer;
        _maxReplySize = Math.Min(server.Options.MaxPacketSize, server.Options.MaxDatagramSize);
        LastActivityMicros = Clock.NowMicros;
        DeadlineSweeper.Register(this);
    }

    public string Peer { get; }

    public int InFlight => Volatile.Read(ref InFlightCalls);

    public Task Closed => _closed.Task;

    public bool IsClosed => Volatile.Read(ref _closedFlag) != 0;

    /// <summary>The certificate the client presented over ssl (mutual TLS), already accepted; null otherwise.</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? ClientCertificate { get; }

    public async Task RunAsync()
    {
        if (_input is null) return; // a UDP peer: the listener's receive loop feeds it
        var options = _server.Options;
        try
        {
            while (true)
            {
                ReadResult result;
                try
                {
                    // A client that reads nothing of its replies is not read either, until they are written (or the
                    // write-stall timeout closes the connection): its requests would otherwise keep adding replies
                    // (overload answers included) to a buffer nobody drains.
                    if (_output is { IsBackedUp: true }) await _output.WhenWrittenAsync().WaitAsync(_closing.Token).ConfigureAwait(false);
                    result = await _input.ReadAsync(_closing.Token).ConfigureAwait(false);
                }
                catch (Exception) when (_closing.IsCancellationRequested)
                {
                    break;
                }
                var buffer = result.Buffer;
                Volatile.Write(ref LastActivityMicros, Clock.NowMicros);
                try
                {
                    while (TarsFrame.TryReadLength(buffer, options.MaxPacketSize, out int length) && buffer.Length >= length)
                    {
                        int bodyLength = length - TarsFrame.PrefixLength;
                        byte[] body = ArrayPool<byte>.Shared.Rent(bodyLength);
                        buffer.Slice(TarsFrame.PrefixLength, bodyLength).CopyTo(body);
                        buffer = buffer.Slice(length);
                        OnFrame(body, bodyLength);
                    }
                }
                catch (TarsDecodeException e)
                {
                    Malformed(e.Message);
                    break;
                }
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted || result.IsCanceled) break;
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The peer went away; calls in flight finish and their replies are dropped.
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false);
            // On a drain the server closes the connection once calls in flight have answered.
            if (!_stopReading) Close();
        }
    }

    private void Malformed(string reason)
    {
        _server.CountMalformed();
        if (!_server.MalformedLog.ShouldLog(Peer, 1, out long suppressed)) return;
        if (_datagrams is null) TarsLog.MalformedInput(_server.Logger, Peer, reason, suppressed);
        else TarsLog.MalformedDatagram(_server.Logger, Peer, reason, suppressed);
    }

    /// <summary>
    /// One request datagram from this UDP peer (prefix already checked; <paramref name="body"/> is pooled and owned by the
    /// call from here on). A malformed one is counted and dropped; the peer stays.
    /// </summary>
    public void OnDatagram(byte[] body, int length)
    {
        Volatile.Write(ref LastActivityMicros, Clock.NowMicros);
        try
        {
            OnFrame(body, length);
        }
        catch (TarsDecodeException e)
        {
            Malformed(e.Message);
        }
    }

    /// <summary>Decodes one request (the body array is owned by the call from here on) and launches it.</summary>
    private void OnFrame(byte[] body, int length)
    {
        TarsRequestPacket request;
        try
        {
            request = TarsRequestPacket.Decode(body.AsMemory(0, length), _server.Options.MaxDepth, _server.Names);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(body);
            throw;
        }
        if (TarsServerMetrics.RequestSize.Enabled)
        {
            var (service, function) = MetricNames(request);
            TarsServerMetrics.Size(TarsServerMetrics.RequestSize, service, function, length + TarsFrame.PrefixLength);
        }
        bool oneWay = request.PacketType == TarsPacketType.OneWay;
        if (!_server.TryEnterCall(this, out string reason))
        {
            if (_server.MalformedLog.ShouldLog(Peer, 2, out long suppressed))
                TarsLog.Overloaded(_server.Logger, request.ServantName, request.FunctionName, Peer, reason, suppressed);
            bool metrics = TarsServerMetrics.Observed;
            var (service, function) = metrics ? MetricNames(request) : default;
            if (metrics) TarsServerMetrics.End(service!, function!, TarsReturnCode.ServerOverload, 0, countedActive: false);
            if (!oneWay) _ = ReplyAsync(request, TarsReturnCode.ServerOverload, "server overloaded: " + reason, null, null, service);
            ArrayPool<byte>.Shared.Return(body);
            return;
        }
        _handlers.Enqueue(new Dispatch(this, request, body));
    }

    /// <summary>One call waiting in <see cref="_handlers"/> for a drainer to start it.</summary>
    private sealed class Dispatch(TarsServerConnection connection, TarsRequestPacket request, byte[] body) : IThreadPoolWorkItem
    {
        public void Execute() => _ = connection.RunCallAsync(request, body);
    }

    /// <summary>
    /// The <c>rpc.service</c> and <c>rpc.method</c> a call is measured under: its names when this server serves them,
    /// <see cref="TarsTelemetry.UnknownName"/> otherwise (clients choose the names they send; metric series must stay bounded).
    /// </summary>
    private (string Service, string Function) MetricNames(TarsRequestPacket request)
    {
        if (!_server.TryGetService(request.ServantName, out var service)) return (TarsTelemetry.UnknownName, TarsTelemetry.UnknownName);
        bool known = request.FunctionName == TarsKeys.Ping || service.TryGetHandler(request.FunctionName, out _);
        return (request.ServantName, known ? request.FunctionName : TarsTelemetry.UnknownName);
    }

    private async Task RunCallAsync(TarsRequestPacket request, byte[] body)
    {
        bool metrics = TarsServerMetrics.Observed;
        var (metricService, metricFunction) = metrics ? MetricNames(request) : default;
        long started = metrics ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
        bool countedActive = metrics && TarsServerMetrics.Active.Enabled;
        if (countedActive) TarsServerMetrics.Start(metricService!, metricFunction!);
        var results = _server.RentResults(TarsVersion.IsTup(request.Version) || request.Version == TarsVersion.Json ? request.Version : TarsVersion.Tars);
        ServerCallContext? rpc = null;
        int code = TarsReturnCode.Success;
        string description = "";
        TarsServerCallContext? context = null;
        System.Diagnostics.Activity? span = null;
        try
        {
            if (request.Version is not (TarsVersion.Tars or TarsVersion.TupComplex or TarsVersion.Tup or TarsVersion.Json))
                throw new TarsException(TarsReturnCode.ServerDecodeError, $"unsupported TARS version {request.Version} (this server speaks 1, 2, 3 and 5)");
            if (!_server.TryGetService(request.ServantName, out var service))
                throw new TarsException(TarsReturnCode.NoServant, $"no object '{request.ServantName}' at this endpoint (served: {string.Join(", ", _server.ObjectNames)})");
            // tars_ping is answered with iRet 0 and no results, like the C++ framework does, before any dispatch.
            if (request.FunctionName != TarsKeys.Ping)
            {
                span = TarsTracing.StartServer(request.ServantName, request.FunctionName, request.Version, Peer, request.Status, request.Context);
                if (!service.TryGetHandler(request.FunctionName, out var handler))
                    throw new TarsException(TarsReturnCode.NoFunction, $"no function '{request.FunctionName}' on object '{request.ServantName}'");

                var arguments = new TarsParameters(request.Version, request.Buffer, _server.Options.MaxDepth);
                long deadlineMicros = _server.Options.HonorClientTimeout && request.Timeout > 0 ? Clock.NowMicros + request.Timeout * 1000L : 0;
                rpc = new ServerCallContext(request.ServantName, request.FunctionName,
                    request.PacketType == TarsPacketType.OneWay ? CallKind.OneWay : CallKind.Unary, Peer, ToMetadata(request.Context), deadlineMicros);
                _calls.Add(rpc); // the connection's sweep cancels it when its deadline passes
                context = new TarsServerCallContext(request, arguments, results, rpc) { ClientCertificate = ClientCertificate };
                rpc.Request = context;
                var middleware = _server.Middleware;
                if (middleware.Length == 0)
                {
                    await handler(context).ConfigureAwait(false);
                }
                else
                {
                    ServerCallHandler next = ctx => handler((TarsServerCallContext)ctx.Request!);
                    for (int i = middleware.Length - 1; i >= 0; i--)
                    {
                        var m = middleware[i];
                        var inner = next;
                        next = ctx => m.InvokeAsync(ctx, inner);
                    }
                    await next(rpc).ConfigureAwait(false);
                }
            }
        }
        catch (Exception e)
        {
            (code, description) = Classify(e, rpc, request);
            results.Clear();
        }
        finally
        {
            TarsTracing.Finish(span, code, description);
            if (metrics) TarsServerMetrics.End(metricService!, metricFunction!, code, started, countedActive);
        }
        try
        {
            if (request.PacketType != TarsPacketType.OneWay)
                await ReplyAsync(request, code, description, results, context?.ResponseContextIfAny, metricService).ConfigureAwait(false);
        }
        finally
        {
            if (rpc is not null)
            {
                _calls.Remove(rpc);
                rpc.Release();
            }
            _server.ReturnResults(results);
            ArrayPool<byte>.Shared.Return(body);
            _server.ExitCall(this);
        }
    }

    /// <summary>Called every <see cref="DeadlineSweeper.Resolution"/>: cancels calls whose client timeout passed. False once closed.</summary>
    bool DeadlineSweeper.ISweepable.Sweep(long nowMicros)
    {
        _handlers.CheckProgress(nowMicros);
        // A closed connection stays swept while handlers wait to run: one that blocks must not hold up the others.
        if (IsClosed) return _handlers.Pending > 0;
        if (_output?.IsStalled(nowMicros, (long)_server.Options.WriteStallTimeout.TotalMicroseconds) == true)
        {
            // The client reads nothing of the replies: its calls hold slots that no reply will free.
            Close();
            return _handlers.Pending > 0;
        }
        foreach (var call in _calls.Expired(nowMicros)) call.Cancel(StatusCode.DeadlineExceeded);
        return true;
    }

    private (int Code, string Description) Classify(Exception e, ServerCallContext? rpc, TarsRequestPacket request)
    {
        switch (e)
        {
            case TarsException t:
                return (t.ReturnCode, t.Message);
            case TarsDecodeException d:
                return (TarsReturnCode.ServerDecodeError, "cannot decode the arguments: " + d.Message);
            case RpcException r:
                return (TarsStatusMapping.ToReturnCode(r.Status), r.Message);
            case OperationCanceledException when rpc?.CancellationReason == StatusCode.DeadlineExceeded:
                return (TarsReturnCode.ServerQueueTimeout, $"server invoke timeout: the client's {request.Timeout} ms passed before {request.FunctionName} finished");
            case OperationCanceledException when rpc?.CancellationReason == StatusCode.Unavailable:
                return (TarsReturnCode.ServerUnknownError, "the server is stopping");
            default:
                TarsLog.HandlerFailed(_server.Logger, request.ServantName, request.FunctionName, e.GetType().Name + ": " + e.Message);
                return (TarsReturnCode.ServerUnknownError, $"{request.FunctionName} failed: {e.GetType().Name}: {e.Message}");
        }
    }

    private static Metadata? ToMetadata(IReadOnlyDictionary<string, string> context)
    {
        if (context.Count == 0) return null;
        var md = new Metadata(context.Count);
        foreach (var (k, v) in context)
        {
            if (k.Length > 0) md.Add(k, v);
        }
        return md;
    }

    /// <summary>
    /// Sends a reply: over a stream it joins the frames pending on the connection (written together, see
    /// <see cref="TarsFrameBatcher"/>); over UDP it leaves as one datagram. <paramref name="metricService"/> is non-null
    /// when the call is measured (the reply's size is recorded under it).
    /// </summary>
    private ValueTask ReplyAsync(TarsRequestPacket request, int code, string description, TarsParameterWriter? results,
        IReadOnlyDictionary<string, string>? responseContext, string? metricService)
    {
        var state = new ReplyState(request, code, description, results, responseContext);
        if (_output is null) return ReplyDatagramAsync(state, metricService);
        if (Volatile.Read(ref _closedFlag) != 0) return default;
        ValueTask write;
        int size;
        try
        {
            try
            {
                write = _output.WriteAsync(state, WriteReply, _maxReplySize, out size);
            }
            catch (TarsPacketTooLargeException e)
            {
                write = _output.WriteAsync(state with { Code = TarsReturnCode.ServerEncodeError, Description = e.Message, Results = null }, WriteReply,
                    _maxReplySize, out size);
            }
        }
        catch (ObjectDisposedException)
        {
            return default; // closed meanwhile: the reply has nowhere to go
        }
        if (metricService is not null) RecordReplySize(request, size);
        return write.IsCompletedSuccessfully ? default : AwaitReplyAsync(write);
    }

    private void RecordReplySize(TarsRequestPacket request, int size)
    {
        if (!TarsServerMetrics.ResponseSize.Enabled || size == 0) return;
        var (service, function) = MetricNames(request);
        TarsServerMetrics.Size(TarsServerMetrics.ResponseSize, service, function, size);
    }

    private async ValueTask AwaitReplyAsync(ValueTask write)
    {
        try
        {
            await write.ConfigureAwait(false);
            Volatile.Write(ref LastActivityMicros, Clock.NowMicros);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            Close();
        }
    }

    private async ValueTask ReplyDatagramAsync(ReplyState state, string? metricService)
    {
        using var frame = new TarsBufferWriter(512);
        try
        {
            TarsFrame.Compose(frame, state, WriteReply, _maxReplySize);
        }
        catch (TarsPacketTooLargeException e)
        {
            string limit = " (one UDP datagram, TarsServerOptions.MaxDatagramSize; call over tcp for larger replies)";
            TarsFrame.Compose(frame, state with { Code = TarsReturnCode.ServerEncodeError, Description = e.Message + limit, Results = null }, WriteReply,
                _maxReplySize);
        }
        if (metricService is not null) RecordReplySize(state.Request, frame.WrittenCount);
        if (Volatile.Read(ref _closedFlag) != 0) return;
        await _datagrams!.SendAsync(frame.WrittenMemory, _remote!, Peer).ConfigureAwait(false);
        Volatile.Write(ref LastActivityMicros, Clock.NowMicros);
    }

    private readonly record struct ReplyState(TarsRequestPacket Request, int Code, string Description, TarsParameterWriter? Results,
        IReadOnlyDictionary<string, string>? Context);

    private static readonly TarsFrame.BodyWriter<ReplyState> WriteReply = static (ref TarsWriter writer, ReplyState s) =>
    {
        var request = s.Request;
        var buffer = s.Results is null || s.Code != 0 ? EmptyResults(request.Version) : s.Results.Buffer;
        if (TarsVersion.IsTup(request.Version))
        {
            // TUP: the reply is a RequestPacket with the result code in the status map (Node writes both keys always).
            var status = new Dictionary<string, string>(2, StringComparer.Ordinal)
            {
                [TarsKeys.StatusResultCode] = s.Code.ToString(CultureInfo.InvariantCulture),
                [TarsKeys.StatusResultDesc] = s.Description,
            };
            TarsRequestPacket.Write(ref writer, request.Version, TarsPacketType.Normal, request.MessageType, request.RequestId,
                request.ServantName, request.FunctionName, buffer, 0, s.Context, status);
        }
        else
        {
            short version = request.Version is TarsVersion.Tars or TarsVersion.Json ? request.Version : TarsVersion.Tars;
            TarsResponsePacket.Write(ref writer, version, request.RequestId, request.MessageType, s.Code, buffer, null, s.Description, s.Context);
        }
    };

    private static readonly byte[] EmptyTup = [0x08, 0x0C];

    private static ReadOnlySpan<byte> EmptyResults(short version) => TarsVersion.IsTup(version) ? EmptyTup : [];

    /// <summary>
    /// Stops reading new requests (drain); calls in flight still reply. Tells the client first, as a Go server does on a
    /// graceful stop: a push (request id 0) with <c>_reconnect_</c> makes C++, Go and Meshwork clients send new calls on a
    /// new connection instead of this one (the Node client ignores it and sees the close).
    /// </summary>
    public async Task StopReadingAsync()
    {
        _stopReading = true;
        if (_input is null) return; // a UDP peer: the listener stops receiving; UDP clients have no connection to move

        if (Volatile.Read(ref _closedFlag) == 0)
        {
            try
            {
                await _output!.WriteAsync(0, static (ref TarsWriter w, int _) =>
                    TarsResponsePacket.Write(ref w, TarsVersion.Tars, 0, 0, 0, [], null, "_reconnect_", null), _server.Options.MaxPacketSize, out _).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Close();
            }
        }
        _input.CancelPendingRead();
    }

    /// <summary>Completes once every reply handed to this connection is written (a drain waits for it before closing).</summary>
    public async Task FlushAsync()
    {
        if (_output is null || IsClosed) return;
        try
        {
            await _output.WhenWrittenAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            // The connection broke: nothing more can be written, and Close follows.
        }
    }

    public void Close()
    {
        if (Interlocked.Exchange(ref _closedFlag, 1) != 0) return;
        _closing.Cancel();
        foreach (var call in _calls.Snapshot()) call.Cancel(StatusCode.Unavailable);
        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        _stream?.Dispose();
        _output?.Dispose();
        _closed.TrySetResult();
    }

    /// <summary>The live calls of this connection, so closing it cancels their handlers.</summary>
    private sealed class ConcurrentSet
    {
        private readonly HashSet<ServerCallContext> _items = new(ReferenceEqualityComparer.Instance);

        public void Add(ServerCallContext item)
        {
            lock (_items) _items.Add(item);
        }

        public void Remove(ServerCallContext item)
        {
            lock (_items) _items.Remove(item);
        }

        public ServerCallContext[] Snapshot()
        {
            lock (_items) return [.. _items];
        }

        /// <summary>The live calls whose deadline passed and that are not cancelled yet (empty, and no allocation, when none).</summary>
        public ServerCallContext[] Expired(long nowMicros)
        {
            List<ServerCallContext>? expired = null;
            lock (_items)
            {
                foreach (var call in _items)
                {
                    if (call.DeadlineMicros != 0 && call.DeadlineMicros <= nowMicros && call.CancellationReason == StatusCode.OK) (expired ??= []).Add(call);
                }
            }
            return expired is null ? [] : [.. expired];
        }
    }
}
