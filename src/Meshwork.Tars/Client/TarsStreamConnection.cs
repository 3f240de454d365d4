using System.Buffers;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Meshwork.Rpc;
using Meshwork.Rpc.Internal;
using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>
/// A TARS connection over a byte stream: plain TCP for <c>tcp</c> endpoints, TLS over TCP for <c>ssl</c> endpoints.
/// Frames are cut from the stream by their length prefix (bounded by the maximum packet size); a malformed reply closes
/// the connection, since the stream cannot be resynchronised.
/// </summary>
internal sealed class TarsStreamConnection : TarsClientConnection
{
    private readonly Stream _stream;
    private readonly TarsFrameBatcher _output;

    private TarsStreamConnection(TarsEndpoint endpoint, TarsClientOptions options, ILogger log, LogRateLimiter malformedLog, Stream stream)
        : base(endpoint, options, log, malformedLog)
    {
        _stream = stream;
        _output = new TarsFrameBatcher(stream, e => Close(e.Message), options.MaxQueuedWriteBytes);
    }

    /// <inheritdoc/>
    protected override bool IsWriteStalled(long nowMicros) =>
        _output.IsStalled(nowMicros, (long)Options.WriteStallTimeout.TotalMicroseconds);

    /// <summary>Connects (and for ssl completes the TLS handshake) within <see cref="TarsClientOptions.ConnectTimeout"/>.</summary>
    /// <exception cref="SocketException">The connection failed or timed out.</exception>
    /// <exception cref="IOException">The TLS handshake failed; the message says why (e.g. an untrusted certificate).</exception>
    public static async Task<TarsClientConnection> OpenAsync(TarsEndpoint endpoint, TarsClientOptions options, ILogger log,
        LogRateLimiter malformedLog, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        Stream stream;
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (endpoint.Transport == TarsTransport.Ssl) stream = await AuthenticateAsync(stream, endpoint, options.Tls ?? new TarsClientTlsOptions(), timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new SocketException((int)SocketError.TimedOut);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var connection = new TarsStreamConnection(endpoint, options, log, malformedLog, stream);
        _ = connection.ReadLoopAsync();
        return connection;
    }

    private static async Task<Stream> AuthenticateAsync(Stream inner, TarsEndpoint endpoint, TarsClientTlsOptions tls, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = tls.TargetHost ?? endpoint.Host,
                ClientCertificates = tls.ClientCertificates,
                RemoteCertificateValidationCallback = tls.ServerCertificateValidation,
                EnabledSslProtocols = tls.EnabledProtocols,
            }, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (AuthenticationException e)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new IOException($"TLS handshake with {endpoint} failed: {e.Message}", e);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Appends the request to the frames pending on this connection; written with them in one write.</summary>
    public override ValueTask SendRequestAsync(TarsRequestFrame request, CancellationToken cancellationToken)
    {
        ValueTask write;
        try
        {
            write = _output.WriteAsync(request, TarsRequestFrame.Writer, MaxFrameSize, out int frameLength, waitForWrite: request.PacketType == TarsPacketType.OneWay);
            if (frameLength > 0) TarsClientMetrics.Size(TarsClientMetrics.RequestSize, request.Servant, request.Function, frameLength); // 0: not appended
        }
        catch (ObjectDisposedException e)
        {
            return ValueTask.FromException(Failed(e));
        }
        return write.IsCompletedSuccessfully ? ValueTask.CompletedTask : AwaitWriteAsync(write, cancellationToken);
    }

    private async ValueTask AwaitWriteAsync(ValueTask write, CancellationToken cancellationToken)
    {
        try
        {
            // The frame stays queued if the caller gives up (it cannot be taken back out of the batch); the caller is
            // released at once all the same, as it was when writes took a lock.
            if (cancellationToken.CanBeCanceled) await write.AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
            else await write.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(StatusCode.Cancelled, $"the call to {Endpoint} was cancelled while its request waited to be written");
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            throw Failed(e);
        }
    }

    private RpcException Failed(Exception e)
    {
        Close(e.Message);
        return new RpcException(StatusCode.Unavailable, $"sending to TARS endpoint {Endpoint} failed: {e.Message}");
    }

    /// <summary>Not used: a raw write would interleave with the batch; requests go through <see cref="SendRequestAsync"/>.</summary>
    public override ValueTask SendAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken) =>
        throw new NotSupportedException("TARS stream connections send whole requests through SendRequestAsync");

    private async Task ReadLoopAsync()
    {
        var input = PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4096, leaveOpen: true));
        string reason = "the server closed the connection";
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(Closing.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                while (TarsFrame.TryReadLength(buffer, Options.MaxPacketSize, out int length) && buffer.Length >= length)
                {
                    var body = new byte[length - TarsFrame.PrefixLength];
                    buffer.Slice(TarsFrame.PrefixLength, body.Length).CopyTo(body);
                    buffer = buffer.Slice(length);
                    OnFrame(body);
                }
                input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (TarsDecodeException e)
        {
            reason = "malformed reply: " + e.Message;
            ReportMalformed(e.Message);
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            reason = e is OperationCanceledException ? "the channel closed the connection" : e.Message;
        }
        finally
        {
            await input.CompleteAsync().ConfigureAwait(false);
            Close(reason);
        }
    }

    protected override void CloseTransport()
    {
        _stream.Dispose();
        _output.Dispose();
    }
}
