using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Threading.Channels;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Security;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip.Transport;

/// <summary>
/// Puts TLS on the stream side of another transport (<see cref="MemberlistOptions.StreamTls"/>): every dialled stream
/// is a TLS client, every accepted stream a TLS server, both with this node's certificate. Packets pass through
/// untouched, so the keyring keeps encrypting UDP. The member list above sees ordinary streams.
/// </summary>
internal sealed class TlsStreamTransport : ITransport
{
    // First byte of a TLS record carrying a handshake (ClientHello); memberlist streams start with a message type < 14.
    private const byte TlsHandshakeRecord = 0x16;

    // Sent by the accepting node, inside TLS, once it has accepted the dialler's certificate. With TLS 1.3 the dialler
    // finishes its handshake before the acceptor has checked the client certificate, so without this byte a refused
    // certificate would surface only as an unexplained end of stream in the middle of a push/pull.
    private const byte AcceptedConfirmation = 0x4d;

    private readonly ITransport _inner;
    private readonly StreamTlsOptions _tls;
    private readonly MemberlistOptions _memberlist;
    private readonly MalformedInputReporter _malformed;
    private readonly StreamTlsStatistics _stats;
    private readonly SslStreamCertificateContext _certificate;
    private readonly Channel<IncomingStream> _streams = Channel.CreateBounded<IncomingStream>(128);
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _acceptLoop;
    private int _pendingHandshakes;

    public TlsStreamTransport(ITransport inner, MemberlistOptions memberlist, MalformedInputReporter malformed, StreamTlsStatistics stats)
    {
        _inner = inner;
        _memberlist = memberlist;
        _tls = memberlist.StreamTls ?? throw new ArgumentException("StreamTls is not set", nameof(memberlist));
        _tls.Validate();
        _malformed = malformed;
        _stats = stats;
        _certificate = SslStreamCertificateContext.Create(_tls.Certificate!, additionalCertificates: null, offline: true);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public IPEndPoint LocalEndPoint => _inner.LocalEndPoint;

    public ChannelReader<Packet> Packets => _inner.Packets;

    public ChannelReader<IncomingStream> Streams => _streams.Reader;

    public void SendPacket(IPEndPoint to, byte[] datagram) => _inner.SendPacket(to, datagram);

    public async Task<Stream> DialAsync(IPEndPoint to, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var inner = await _inner.DialAsync(to, timeout, cancellationToken).ConfigureAwait(false);
        var tls = new SslStream(inner, leaveInnerStreamOpen: false);
        var check = new PeerCertificateCheck(_tls, accepting: false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _cts.Token);
        cts.CancelAfter(_tls.HandshakeTimeout);
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                // SNI; the name itself is checked by PeerCertificateCheck (only when PeerName is set).
                TargetHost = _tls.PeerName ?? "meshwork-gossip",
                ClientCertificateContext = _certificate,
                EnabledSslProtocols = _tls.EnabledProtocols,
                CertificateRevocationCheckMode = _tls.RevocationMode,
                RemoteCertificateValidationCallback = check.Validate,
            }, cts.Token).ConfigureAwait(false);
            var confirmation = new byte[1];
            var n = await tls.ReadAsync(confirmation, cts.Token).ConfigureAwait(false);
            if (n == 0 || confirmation[0] != AcceptedConfirmation)
            {
                throw new AuthenticationException(n == 0
                    ? "the peer closed the stream after the TLS handshake instead of accepting it: it refused this node's certificate (its log says why)"
                    : $"the peer sent 0x{confirmation[0]:x2} instead of confirming the TLS stream; it is not a Meshwork node with stream TLS");
            }
        }
        catch (Exception e) when (e is AuthenticationException or IOException or OperationCanceledException or SocketException
                                  && !cancellationToken.IsCancellationRequested && !_cts.IsCancellationRequested)
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            var reason = Explain(e, check, dialling: true);
            Interlocked.Increment(ref _stats.FailedValue);
            _malformed.Report(to, new MalformedInput(MalformedInputKinds.StreamTls, "outgoing stream: " + reason));
            throw new StreamTlsException(to, reason, e);
        }
        catch
        {
            await tls.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        Interlocked.Increment(ref _stats.DialedValue);
        return tls;
    }

    private async Task AcceptLoopAsync()
    {
        try
        {
            await foreach (var incoming in _inner.Streams.ReadAllAsync(_cts.Token).ConfigureAwait(false))
            {
                if (Interlocked.Increment(ref _pendingHandshakes) > _tls.MaxPendingHandshakes)
                {
                    Interlocked.Decrement(ref _pendingHandshakes);
                    Interlocked.Increment(ref _stats.ShedValue);
                    await incoming.Stream.DisposeAsync().ConfigureAwait(false);
                    continue;
                }
                _ = AcceptAsync(incoming);
            }
        }
        catch (OperationCanceledException)
        {
        }
        _streams.Writer.TryComplete();
    }

    private async Task AcceptAsync(IncomingStream incoming)
    {
        Stream? served = null;
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
            cts.CancelAfter(_tls.HandshakeTimeout);
            served = await HandshakeAsync(incoming, cts.Token).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Stopping (cancelled, disposed) or an error HandshakeAsync does not classify: drop this connection only.
            await incoming.Stream.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _pendingHandshakes);
        }
        if (served is null) { return; }
        if (!_streams.Writer.TryWrite(incoming with { Stream = served })) { await served.DisposeAsync().ConfigureAwait(false); }
    }

    /// <summary>Returns the stream to serve (TLS, or plain when allowed), or null after refusing the peer.</summary>
    private async Task<Stream?> HandshakeAsync(IncomingStream incoming, CancellationToken ct)
    {
        var check = new PeerCertificateCheck(_tls, accepting: true);
        var stream = incoming.Stream;
        try
        {
            var first = await PeekFirstByteAsync(stream, ct).ConfigureAwait(false);
            if (first == EndOfStream)
            {
                // Connected and closed without a byte (a port check): nothing to refuse.
                await stream.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            if (first >= 0 && first != TlsHandshakeRecord)
            {
                if (_tls.AcceptPlainStreams)
                {
                    Interlocked.Increment(ref _stats.PlainAcceptedValue);
                    return stream;
                }
                await RefusePlainAsync(incoming, (byte)first, ct).ConfigureAwait(false);
                return null;
            }
            var tls = new SslStream(stream, leaveInnerStreamOpen: false);
            stream = tls;
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificateContext = _certificate,
                ClientCertificateRequired = _tls.RequirePeerCertificate,
                EnabledSslProtocols = _tls.EnabledProtocols,
                CertificateRevocationCheckMode = _tls.RevocationMode,
                RemoteCertificateValidationCallback = check.Validate,
            }, ct).ConfigureAwait(false);
            await tls.WriteAsync(new[] { AcceptedConfirmation }, ct).ConfigureAwait(false);
            await tls.FlushAsync(ct).ConfigureAwait(false);
            Interlocked.Increment(ref _stats.AcceptedValue);
            return tls;
        }
        catch (Exception e) when (e is AuthenticationException or IOException or SocketException
                                  || (e is OperationCanceledException && !_cts.IsCancellationRequested))
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            Interlocked.Increment(ref _stats.FailedValue);
            _malformed.Report(incoming.Remote, new MalformedInput(MalformedInputKinds.StreamTls, "incoming stream: " + Explain(e, check, dialling: false)));
            return null;
        }
    }

    // A plain memberlist peer gets a memberlist error reply, so a serf agent's join says why instead of "EOF".
    private async Task RefusePlainAsync(IncomingStream incoming, byte first, CancellationToken ct)
    {
        Interlocked.Increment(ref _stats.PlainRefusedValue);
        _malformed.Report(incoming.Remote, new MalformedInput(MalformedInputKinds.StreamTls,
            $"incoming stream is plain memberlist (first byte 0x{first:x2}), not TLS: the peer is a serf agent or a Meshwork node without stream TLS; refused"));
        try
        {
            var error = PacketCodec.Encode(new ErrorMessage(PlainRefusedMessage));
            await StreamCodec.WriteAsync(incoming.Stream, error, _memberlist, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
        {
            // The peer went away first; the refusal is already counted.
        }
        finally
        {
            await incoming.Stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The error text a plain peer receives.</summary>
    internal const string PlainRefusedMessage = "this node requires TLS on gossip streams (Meshwork stream TLS); plain streams are refused";

    private const int EndOfStream = -2;

    // Peeking leaves the byte in the socket for the TLS (or plain) reader; -1 when the stream is not a socket.
    private static async ValueTask<int> PeekFirstByteAsync(Stream stream, CancellationToken ct)
    {
        if (stream is not NetworkStream network) { return -1; }
        var one = new byte[1];
        var n = await network.Socket.ReceiveAsync(one, SocketFlags.Peek, ct).ConfigureAwait(false);
        return n == 0 ? EndOfStream : one[0];
    }

    private string Explain(Exception e, PeerCertificateCheck check, bool dialling)
    {
        if (check.Refusal is { } refusal) { return refusal; }
        if (e is AuthenticationException { InnerException: null }) { return e.Message; }
        if (e is OperationCanceledException) { return $"no handshake within {_tls.HandshakeTimeout.TotalMilliseconds:0} ms (HandshakeTimeout)"; }
        var detail = e.InnerException is { } inner ? $"{e.Message} ({inner.Message})" : e.Message;
        return dialling
            ? $"{detail}; the peer does not speak stream TLS (a serf agent or a Meshwork node without StreamTls) or refused this node's certificate"
            : $"{detail}; the peer refused this node's certificate or broke off the handshake";
    }

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync().ConfigureAwait(false);
        await _inner.DisposeAsync().ConfigureAwait(false);
        try { await _acceptLoop.ConfigureAwait(false); } catch (Exception) { }
        // _cts is not disposed: handshakes still winding down link to its token; it holds no timer or handle.
    }
}
