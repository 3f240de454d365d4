using System.Net;
using System.Net.Quic;
using System.Net.Security;
using System.Runtime.Versioning;
using System.Security.Authentication;
using System.Threading.Channels;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Security;

namespace Meshwork.Gossip.Transport;

/// <summary>
/// Carries the stream side of another transport over QUIC (<see cref="MemberlistOptions.StreamQuic"/>): each dial is a
/// new QUIC connection with one bidirectional stream, closed with the stream; each accepted inbound stream is handed to
/// the member list. Packets pass through untouched. The QUIC listener binds the gossip port plus
/// <see cref="QuicStreamOptions.PortOffset"/>.
/// </summary>
/// <remarks>Never run on the machine it was written on (no libmsquic); see docs/gossip.md, "QUIC stream layer".</remarks>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("windows")]
[SupportedOSPlatform("osx")]
internal sealed class QuicStreamTransport : ITransport
{
    private static readonly SslApplicationProtocol Alpn = new("meshwork-gossip/1");

    private readonly ITransport _inner;
    private readonly QuicStreamOptions _quic;
    private readonly MalformedInputReporter _malformed;
    private readonly StreamTlsStatistics _stats;
    private readonly SslStreamCertificateContext _certificate;
    private readonly QuicListener _listener;
    private readonly Channel<IncomingStream> _streams = Channel.CreateBounded<IncomingStream>(128);
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _acceptLoop;
    private int _connections;

    private QuicStreamTransport(ITransport inner, QuicStreamOptions quic, MalformedInputReporter malformed, StreamTlsStatistics stats,
        SslStreamCertificateContext certificate, QuicListener listener)
    {
        _inner = inner;
        _quic = quic;
        _malformed = malformed;
        _stats = stats;
        _certificate = certificate;
        _listener = listener;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>Starts the QUIC listener next to <paramref name="inner"/>'s gossip port.</summary>
    public static QuicStreamTransport Create(ITransport inner, QuicStreamOptions quic, MalformedInputReporter malformed, StreamTlsStatistics stats)
    {
        quic.Validate();
        var certificate = SslStreamCertificateContext.Create(quic.Tls.Certificate!, additionalCertificates: null, offline: true);
        var local = inner.LocalEndPoint;
        var port = local.Port + quic.PortOffset;
        if (port > IPEndPoint.MaxPort) { throw new ArgumentException($"gossip port {local.Port} + StreamQuic.PortOffset {quic.PortOffset} exceeds 65535"); }
        QuicStreamTransport? transport = null;
        var options = new QuicListenerOptions
        {
            ListenEndPoint = new IPEndPoint(local.Address, port),
            ApplicationProtocols = [Alpn],
            ConnectionOptionsCallback = (connection, _, _) => ValueTask.FromResult(transport!.ServerOptions(connection)),
        };
        // Construction is synchronous (GossipNode's constructor); binding a UDP socket does not block for long.
        var listener = QuicListener.ListenAsync(options).AsTask().GetAwaiter().GetResult();
        transport = new QuicStreamTransport(inner, quic, malformed, stats, certificate, listener);
        return transport;
    }

    public IPEndPoint LocalEndPoint => _inner.LocalEndPoint;

    public ChannelReader<Packet> Packets => _inner.Packets;

    public ChannelReader<IncomingStream> Streams => _streams.Reader;

    public void SendPacket(IPEndPoint to, byte[] datagram) => _inner.SendPacket(to, datagram);

    private QuicServerConnectionOptions ServerOptions(QuicConnection connection)
    {
        var check = new PeerCertificateCheck(_quic.Tls, accepting: true);
        var remote = connection.RemoteEndPoint;
        return new QuicServerConnectionOptions
        {
            DefaultStreamErrorCode = 1,
            DefaultCloseErrorCode = 0,
            IdleTimeout = _quic.IdleTimeout,
            HandshakeTimeout = _quic.Tls.HandshakeTimeout,
            MaxInboundBidirectionalStreams = 4,
            MaxInboundUnidirectionalStreams = 0,
            ServerAuthenticationOptions = new SslServerAuthenticationOptions
            {
                ApplicationProtocols = [Alpn],
                ServerCertificateContext = _certificate,
                ClientCertificateRequired = _quic.Tls.RequirePeerCertificate,
                CertificateRevocationCheckMode = _quic.Tls.RevocationMode,
                RemoteCertificateValidationCallback = (sender, cert, chain, errors) =>
                {
                    if (check.Validate(sender, cert, chain, errors)) { return true; }
                    Interlocked.Increment(ref _stats.FailedValue);
                    _malformed.Report(remote, new MalformedInput(MalformedInputKinds.StreamTls, "incoming QUIC connection: " + check.Refusal));
                    return false;
                },
            },
        };
    }

    public async Task<Stream> DialAsync(IPEndPoint to, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var check = new PeerCertificateCheck(_quic.Tls, accepting: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        cts.CancelAfter(timeout < _quic.Tls.HandshakeTimeout ? timeout : _quic.Tls.HandshakeTimeout);
        QuicConnection? connection = null;
        try
        {
            connection = await QuicConnection.ConnectAsync(new QuicClientConnectionOptions
            {
                RemoteEndPoint = new IPEndPoint(to.Address, to.Port + _quic.PortOffset),
                DefaultStreamErrorCode = 1,
                DefaultCloseErrorCode = 0,
                IdleTimeout = _quic.IdleTimeout,
                HandshakeTimeout = _quic.Tls.HandshakeTimeout,
                MaxInboundBidirectionalStreams = 0,
                MaxInboundUnidirectionalStreams = 0,
                ClientAuthenticationOptions = new SslClientAuthenticationOptions
                {
                    ApplicationProtocols = [Alpn],
                    TargetHost = _quic.Tls.PeerName ?? "meshwork-gossip",
                    ClientCertificateContext = _certificate,
                    CertificateRevocationCheckMode = _quic.Tls.RevocationMode,
                    RemoteCertificateValidationCallback = check.Validate,
                },
            }, cts.Token).ConfigureAwait(false);
            var stream = await connection.OpenOutboundStreamAsync(QuicStreamType.Bidirectional, cts.Token).ConfigureAwait(false);
            Interlocked.Increment(ref _stats.DialedValue);
            return new ConnectionOwningStream(stream, connection);
        }
        catch (Exception e) when (e is QuicException or AuthenticationException or OperationCanceledException
                                  && !cancellationToken.IsCancellationRequested && !_cts.IsCancellationRequested)
        {
            if (connection is not null) { await connection.DisposeAsync().ConfigureAwait(false); }
            var reason = check.Refusal ?? (e is OperationCanceledException
                ? $"no QUIC handshake within {_quic.Tls.HandshakeTimeout.TotalMilliseconds:0} ms; the peer may not run QUIC streams on port {to.Port + _quic.PortOffset}"
                : e.Message);
            Interlocked.Increment(ref _stats.FailedValue);
            _malformed.Report(to, new MalformedInput(MalformedInputKinds.StreamTls, "outgoing QUIC connection: " + reason));
            throw new StreamTlsException(to, reason, e);
        }
        catch
        {
            if (connection is not null) { await connection.DisposeAsync().ConfigureAwait(false); }
            throw;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (!_cts.IsCancellationRequested)
        {
            QuicConnection connection;
            try
            {
                connection = await _listener.AcceptConnectionAsync(_cts.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break;
            }
            catch (Exception e) when (e is QuicException or AuthenticationException)
            {
                // A failed handshake surfaces here; certificate refusals were already reported by the callback.
                continue;
            }
            if (Interlocked.Increment(ref _connections) > _quic.Tls.MaxPendingHandshakes)
            {
                Interlocked.Decrement(ref _connections);
                Interlocked.Increment(ref _stats.ShedValue);
                await connection.DisposeAsync().ConfigureAwait(false);
                continue;
            }
            Interlocked.Increment(ref _stats.AcceptedValue);
            _ = ServeConnectionAsync(connection);
        }
        _streams.Writer.TryComplete();
    }

    private async Task ServeConnectionAsync(QuicConnection connection)
    {
        try
        {
            while (!_cts.IsCancellationRequested)
            {
                var stream = await connection.AcceptInboundStreamAsync(_cts.Token).ConfigureAwait(false);
                if (!_streams.Writer.TryWrite(new IncomingStream(connection.RemoteEndPoint, stream))) { await stream.DisposeAsync().ConfigureAwait(false); }
            }
        }
        catch (Exception e) when (e is QuicException or OperationCanceledException or ObjectDisposedException)
        {
            // The dialler closed the connection after its exchange, or the node is stopping.
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        await _listener.DisposeAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { }
    }

    /// <summary>A dialled QUIC stream that closes its connection when disposed (one connection per exchange).</summary>
    private sealed class ConnectionOwningStream(QuicStream stream, QuicConnection connection) : Stream
    {
        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => stream.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => stream.ReadAsync(buffer, cancellationToken);

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            stream.ReadAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => stream.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => stream.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            stream.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => stream.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => stream.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            await connection.DisposeAsync().ConfigureAwait(false);
            await base.DisposeAsync().ConfigureAwait(false);
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                stream.Dispose();
                connection.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            base.Dispose(disposing);
        }
    }
}
