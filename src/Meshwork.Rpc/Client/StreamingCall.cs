using System.Buffers;
using System.Runtime.CompilerServices;
using Meshwork.Rpc.Diagnostics;
using Meshwork.Rpc.Internal;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Client;

/// <summary>
/// Client side of server-streaming, client-streaming and duplex calls. Inbound messages are buffered up to the
/// window the client advertised and credits go back to the server as the consumer drains them; outbound messages
/// spend credits the server granted.
/// </summary>
internal sealed class StreamingCall<TRequest, TResponse> : ClientCall
{
    private readonly TaskCompletionSource<TResponse> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CreditGate _sendCredits = new(0);
    private readonly Method<TRequest, TResponse> _method;
    private readonly InboundStream<TResponse> _inbound;

    public StreamingCall(ClientConnection connection, Method<TRequest, TResponse> method, int window, long startMicros, long deadlineMicros)
    {
        Connection = connection;
        _method = method;
        FullName = method.FullName;
        _inbound = new InboundStream<TResponse>(window, credits => connection.SendWindowUpdate(Id, credits));
        StartMicros = startMicros;
        DeadlineMicros = deadlineMicros;
    }

    public Task<TResponse> Reply => _reply.Task;

    private bool ExpectsStream => _method.Kind is CallKind.ServerStreaming or CallKind.DuplexStreaming;

    public override void OnStreamData(ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        if (!ExpectsStream)
        {
            base.OnStreamData(ref header, body);
            return;
        }
        if (!_inbound.TryAdmit())
        {
            AbandonForStreamRules(new RpcException(StatusCode.Internal, $"server overran the stream window of {_inbound.Window} messages on {FullName}"));
            return;
        }
        var connection = Connection!;
        try
        {
            var item = MessageCodec.Decode(header, body, _method.ResponseType, connection.Shared.Serializers, connection.Shared.Compression, connection.Limits.MaxMessageSize);
            MessageSizes.Report(MessageFlow.ClientResponse, FullName, body.Length);
            _inbound.Write(item);
        }
        catch (Exception ex)
        {
            Abandon(ex as RpcException ?? new RpcException(StatusCode.Internal, $"cannot decode a message of {FullName}: {ex.Message}", ex));
        }
    }

    public override void OnWindowUpdate(uint credits) => _sendCredits.Grant(credits);

    public override void OnResponse(ref FrameHeader header, in ReadOnlySequence<byte> body)
    {
        var connection = Connection!;
        if (header.Status != StatusCode.OK)
        {
            OnFailed(StatusError(ref header, FullName, connection.Peer));
            return;
        }
        if (ExpectsStream)
        {
            _inbound.Complete();
            _reply.TrySetResult(default!);
        }
        else
        {
            try
            {
                _reply.TrySetResult(MessageCodec.Decode(header, body, _method.ResponseType, connection.Shared.Serializers, connection.Shared.Compression, connection.Limits.MaxMessageSize));
                MessageSizes.Report(MessageFlow.ClientResponse, FullName, body.Length);
            }
            catch (Exception ex)
            {
                _reply.TrySetException(ex as RpcException ?? new RpcException(StatusCode.Internal, $"cannot decode the reply of {FullName}: {ex.Message}", ex));
            }
        }
        _sendCredits.Close(new RpcException(StatusCode.OK, "the server completed the call"));
        DisposeCancellation();
    }

    public override void OnFailed(RpcException error)
    {
        _inbound.Complete(error);
        _reply.TrySetException(error);
        _sendCredits.Close(error);
        DisposeCancellation();
    }

    /// <summary>Pumps the caller's request stream to the server, spending credits, then half-closes.</summary>
    public async Task SendAllAsync(IAsyncEnumerable<TRequest> requests, CallOptions options)
    {
        var connection = Connection!;
        try
        {
            await foreach (var item in requests.WithCancellation(options.CancellationToken).ConfigureAwait(false))
            {
                await _sendCredits.TakeAsync(options.CancellationToken).ConfigureAwait(false);
                await connection.SendStreamMessageAsync(Id, FullName, item, _method.RequestType, options.Compression, options.CancellationToken).ConfigureAwait(false);
            }
            connection.SendStreamEnd(Id);
        }
        catch (RpcException ex) when (ex.Status == StatusCode.OK)
        {
            // The server finished before reading everything; that is its right.
        }
        catch (RpcException ex)
        {
            Abandon(ex);
        }
        catch (OperationCanceledException)
        {
            Abandon(new RpcException(StatusCode.Cancelled, $"call {FullName} was cancelled by the caller while sending"));
        }
        catch (Exception ex)
        {
            Abandon(new RpcException(StatusCode.Cancelled, $"the request stream of {FullName} failed: {ex.Message}", ex));
        }
    }

    /// <summary>Yields server messages, granting credits back as they are consumed. Leaving early cancels the call.</summary>
    public async IAsyncEnumerable<TResponse> ReadAllAsync([EnumeratorCancellation] CancellationToken ct = default)
    {
        bool finished = false;
        try
        {
            await foreach (var item in _inbound.ReadAllAsync(() => new RpcException(StatusCode.Cancelled, $"reading {FullName} was cancelled by the caller"), ct).ConfigureAwait(false))
            {
                yield return item;
            }
            finished = true;
        }
        finally
        {
            if (!finished)
            {
                Abandon(new RpcException(StatusCode.Cancelled, $"the caller stopped reading {FullName}"));
            }
        }
    }
}
