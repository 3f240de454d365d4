using System.Net;
using Meshwork.Gossip.Transport;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip;

/// <summary>Network side of a node: receive loops, push/pull and TCP ping as initiator and acceptor.</summary>
public sealed partial class GossipNode
{
    private async Task BackgroundPushPull(IPEndPoint to, bool join)
    {
        try { await PushPullAsync(to, join, _cts.Token).ConfigureAwait(false); }
        catch (Security.StreamTlsException) { } // already counted and logged rate-limited by the TLS layer
        catch (Exception e) when (!_cts.IsCancellationRequested) { GossipLog.PushPullFailed(_log, to, e); }
        catch (Exception) { }
    }

    private async Task<bool> StreamPingAsync(IPEndPoint to, byte[] ping, uint seqNo, TimeSpan timeout)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
        cts.CancelAfter(timeout);
        await using var stream = await _transport.DialAsync(to, timeout, cts.Token).ConfigureAwait(false);
        await StreamCodec.WriteAsync(stream, ping, Options, cts.Token).ConfigureAwait(false);
        var (type, body) = await StreamCodec.ReadAsync(stream, Options.Keyring, cts.Token).ConfigureAwait(false);
        if (type != MessageType.Ack) { return false; }
        var ack = StreamCodec.Decode(await body.ReadObjectAsync(cts.Token).ConfigureAwait(false), AckMessage.Read);
        return ack.SeqNo == seqNo;
    }

    private async Task PushPullAsync(IPEndPoint to, bool join, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct, _cts.Token);
        cts.CancelAfter(Options.TcpTimeout);
        await using var stream = await _transport.DialAsync(to, Options.TcpTimeout, cts.Token).ConfigureAwait(false);
        byte[] request;
        lock (Gate) { request = Core.BuildPushPull(join).Encode(); }
        await StreamCodec.WriteAsync(stream, request, Options, cts.Token).ConfigureAwait(false);
        var (type, body) = await StreamCodec.ReadAsync(stream, Options.Keyring, cts.Token).ConfigureAwait(false);
        if (type == MessageType.Err)
        {
            var err = StreamCodec.Decode(await body.ReadObjectAsync(cts.Token).ConfigureAwait(false), ErrorMessage.Read);
            throw new StreamProtocolException("remote error: " + err.Error);
        }
        if (type != MessageType.PushPull) { throw new StreamProtocolException($"unexpected reply type {type}"); }
        var remote = await StreamCodec.ReadPushPullAsync(body, cts.Token).ConfigureAwait(false);
        string? error;
        lock (Gate)
        {
            if (!Core.IsValidRemote(remote, to)) { throw new StreamProtocolException("remote state breaks a peer invariant; not merged"); }
            using var source = Diagnostics.MalformedInputReporter.BeginSource(to);
            error = Core.MergeRemote(remote);
        }
        if (error is not null) { throw new StreamProtocolException(error); }
    }

    private async Task PacketLoopAsync()
    {
        try
        {
            await foreach (var p in _transport.Packets.ReadAllAsync(_cts.Token).ConfigureAwait(false))
            {
                try { lock (Gate) { Core.HandlePacket(p.From, p.Data); } }
                catch (Exception e) { GossipLog.Unexpected(_log, "packet handling", e); }
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task StreamLoopAsync()
    {
        try
        {
            await foreach (var s in _transport.Streams.ReadAllAsync(_cts.Token).ConfigureAwait(false))
            {
                _ = HandleStreamAsync(s);
            }
        }
        catch (OperationCanceledException) { }
    }

    private async Task HandleStreamAsync(IncomingStream incoming)
    {
        await using var stream = incoming.Stream;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cts.Token);
        cts.CancelAfter(Options.TcpTimeout);
        var ct = cts.Token;
        try
        {
            MessageType type;
            ByteSource body;
            try
            {
                (type, body) = await StreamCodec.ReadAsync(stream, Options.Keyring, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StreamProtocolException or WireFormatException or PeerInvariantException)
            {
                var err = PacketCodec.Encode(new ErrorMessage(e.Message));
                await StreamCodec.WriteAsync(stream, err, Options, ct).ConfigureAwait(false);
                throw;
            }
            switch (type)
            {
                case MessageType.PushPull:
                {
                    var remote = await StreamCodec.ReadPushPullAsync(body, ct).ConfigureAwait(false);
                    byte[] reply;
                    bool valid;
                    lock (Gate) { valid = Core.IsValidRemote(remote, incoming.Remote); }
                    // Refused before anything is stored: the peer gets an error instead of our state.
                    if (!valid) { reply = PacketCodec.Encode(new ErrorMessage("push/pull state breaks a peer invariant; not merged")); }
                    else { lock (Gate) { reply = Core.BuildPushPull(remote.Join).Encode(); } }
                    await StreamCodec.WriteAsync(stream, reply, Options, ct).ConfigureAwait(false);
                    if (!valid) { return; }
                    lock (Gate)
                    {
                        using var source = Diagnostics.MalformedInputReporter.BeginSource(incoming.Remote);
                        Core.MergeRemote(remote);
                    }
                    break;
                }
                case MessageType.Ping:
                {
                    var ping = StreamCodec.Decode(await body.ReadObjectAsync(ct).ConfigureAwait(false), PingMessage.Read);
                    if (ping.Node.Length > 0 && ping.Node != Options.Name) { return; }
                    var ack = PacketCodec.Encode(new AckMessage(ping.SeqNo, null));
                    await StreamCodec.WriteAsync(stream, ack, Options, ct).ConfigureAwait(false);
                    break;
                }
                case MessageType.User:
                {
                    var header = await body.ReadObjectAsync(ct).ConfigureAwait(false);
                    var len = ReadUserMsgLen(header);
                    if (len is < 0 or > PeerInvariants.MaxUserStateBytes)
                    {
                        throw new PeerInvariantException(new(Diagnostics.MalformedInputKinds.Stream, $"user message length {len}"));
                    }
                    var payload = await body.ReadExactAsync(len, ct).ConfigureAwait(false);
                    lock (Gate)
                    {
                        using var source = Diagnostics.MalformedInputReporter.BeginSource(incoming.Remote);
                        Core.Delegate?.NotifyMessage(payload);
                    }
                    break;
                }
                default:
                    throw new PeerInvariantException(new(Diagnostics.MalformedInputKinds.UnknownType, $"stream message type {(int)type} not supported"));
            }
        }
        catch (PeerInvariantException e) when (!_cts.IsCancellationRequested)
        {
            Core.Malformed.Report(incoming.Remote, e.Input);
        }
        catch (Exception e) when (!_cts.IsCancellationRequested && e is WireFormatException or StreamProtocolException or OverflowException)
        {
            Core.Malformed.Report(incoming.Remote, new(Diagnostics.MalformedInputKinds.Stream, e.Message));
        }
        catch (Exception e) when (!_cts.IsCancellationRequested && e is IOException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // The peer closed, reset or stalled past the TCP timeout: not malformed, not worth a warning.
            GossipLog.StreamEnded(_log, incoming.Remote, e.Message);
        }
        catch (Exception e) when (!_cts.IsCancellationRequested)
        {
            GossipLog.StreamFailed(_log, incoming.Remote, e);
        }
        catch (Exception)
        {
            // shutting down or peer closed early
        }
    }

    private static int ReadUserMsgLen(byte[] header)
    {
        var r = new MsgPackReader(header);
        var len = 0;
        for (var i = r.ReadMapHeader(); i > 0; i--)
        {
            if (r.ReadString() == "UserMsgLen") { len = checked((int)r.ReadInt()); } else { r.Skip(); }
        }
        return len;
    }
}
