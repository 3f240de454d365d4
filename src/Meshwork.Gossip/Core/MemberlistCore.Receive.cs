using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Meshwork.Gossip.Diagnostics;
using Meshwork.Gossip.Security;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip;

internal sealed partial class MemberlistCore
{
    /// <summary>Receive pipeline for one datagram: decrypt, verify CRC, dispatch. Malformed input is reported, never thrown.</summary>
    public void HandlePacket(IPEndPoint from, ReadOnlyMemory<byte> datagram)
    {
        if (_shutdown) { return; }
        Interlocked.Increment(ref Statistics.PacketsReceivedValue);
        Interlocked.Add(ref Statistics.BytesReceivedValue, datagram.Length);
        using var source = MalformedInputReporter.BeginSource(from);
        var buf = datagram;
        if (Options.Keyring is { } ring)
        {
            try { buf = PacketEncryption.Decrypt(ring.Keys, buf.Span, []); }
            catch (CryptographicException e) { Malformed.Report(new(MalformedInputKinds.Decrypt, e.Message)); return; }
        }
        if (buf.Length >= 5 && buf.Span[0] == (byte)MessageType.HasCrc)
        {
            var expected = BinaryPrimitives.ReadUInt32BigEndian(buf.Span[1..]);
            buf = buf[5..];
            if (Crc32.Compute(buf.Span) != expected) { Malformed.Report(new(MalformedInputKinds.Crc, "invalid CRC")); return; }
        }
        HandleMessageReporting(from, buf, 0);
    }

    private void HandleMessage(IPEndPoint from, ReadOnlyMemory<byte> msg, int depth)
    {
        if (msg.Length == 0) { throw new PeerInvariantException(new(MalformedInputKinds.EmptyMessage, "empty message")); }
        if (depth > 4) { throw new PeerInvariantException(new(MalformedInputKinds.Nesting, $"wrappers nested {depth} deep")); }
        var type = (MessageType)msg.Span[0];
        var body = msg[1..];
        switch (type)
        {
            case MessageType.Compound:
                var (parts, truncated) = PacketCodec.SplitCompound(body);
                foreach (var p in parts) { HandleMessageReporting(from, p, depth + 1); }
                if (truncated > 0) { Malformed.Report(new(MalformedInputKinds.Compound, $"{truncated} truncated compound parts")); }
                break;
            case MessageType.Compress:
                HandleMessage(from, PacketCodec.Decompress(body.Span, PeerInvariants.MaxDecompressedPacket), depth + 1);
                break;
            case MessageType.Ping:
                HandlePing(from, Read(body.Span, PingMessage.Read));
                break;
            case MessageType.IndirectPing:
                var req = Read(body.Span, IndirectPingMessage.Read);
                HandleIndirectPing(from, Valid(req, PeerInvariants.CheckIndirectPing(req)));
                break;
            case MessageType.Ack:
                HandleAck(Read(body.Span, AckMessage.Read));
                break;
            case MessageType.Nack:
                HandleNack(Read(body.Span, NackMessage.Read));
                break;
            case MessageType.Alive:
                var alive = Read(body.Span, AliveMessage.Read);
                HandleAlive(Valid(alive, PeerInvariants.CheckAlive(alive, Options.Vsn)), bootstrap: false);
                break;
            case MessageType.Suspect:
                var suspect = Read(body.Span, AccusationMessage.Read);
                HandleSuspect(Valid(suspect, PeerInvariants.CheckAccusation(suspect)));
                break;
            case MessageType.Dead:
                var dead = Read(body.Span, AccusationMessage.Read);
                HandleDead(Valid(dead, PeerInvariants.CheckAccusation(dead)));
                break;
            case MessageType.User:
                Delegate?.NotifyMessage(body.Span);
                break;
            default:
                if (TryHandleTransformed(from, (byte)type, body, depth)) { break; }
                throw new PeerInvariantException(new(MalformedInputKinds.UnknownType, $"message type {(int)type} not supported"));
        }
    }

    private delegate T BodyReader<out T>(ref MsgPackReader r);

    private static T Read<T>(ReadOnlySpan<byte> body, BodyReader<T> read)
    {
        var r = new MsgPackReader(body);
        return read(ref r);
    }

    private static IPEndPoint SourceOf(IPEndPoint from, byte[]? addr, ushort port) =>
        addr is { Length: 4 or 16 } && port != 0 ? new IPEndPoint(new IPAddress(addr), port) : from;

    private void HandlePing(IPEndPoint from, PingMessage ping)
    {
        if (ping.Node.Length > 0 && ping.Node != Name) { return; }
        var ack = new AckMessage(ping.SeqNo, PingDelegate?.AckPayload());
        SendDirect(SourceOf(from, ping.SourceAddr, ping.SourcePort), PacketCodec.Encode(ack));
    }

    private void HandleIndirectPing(IPEndPoint from, IndirectPingMessage req)
    {
        var requester = SourceOf(from, req.SourceAddr, req.SourcePort);
        var seq = NextSeq();
        var handler = new AckHandler();
        handler.OnAck = (_, _) =>
        {
            handler.Cancel();
            _ackHandlers.Remove(seq);
            SendDirect(requester, PacketCodec.Encode(new AckMessage(req.SeqNo, null)));
        };
        handler.Timer = After(Options.ProbeTimeout, () =>
        {
            if (_ackHandlers.Remove(seq) && req.Nack)
            {
                SendDirect(requester, PacketCodec.Encode(new NackMessage(req.SeqNo)));
            }
        });
        _ackHandlers[seq] = handler;
        var ping = new PingMessage(seq, req.Node, AdvertiseAddr, AdvertisePort, Name);
        SendDirect(new IPEndPoint(new IPAddress(req.Target), req.Port), PacketCodec.Encode(ping));
    }

    private void HandleAck(AckMessage ack)
    {
        if (_ackHandlers.TryGetValue(ack.SeqNo, out var h)) { h.OnAck?.Invoke(ack.Payload, _rt.Now); }
    }

    private void HandleNack(NackMessage nack)
    {
        if (_ackHandlers.TryGetValue(nack.SeqNo, out var h)) { h.OnNack?.Invoke(); }
    }

    private uint NextSeq() => ++_seq;

    private sealed class AckHandler
    {
        public Action<byte[]?, TimeSpan>? OnAck { get; set; }
        public Action? OnNack { get; set; }
        public IDisposable? Timer { get; set; }
        public void Cancel() => Timer?.Dispose();
    }
}
