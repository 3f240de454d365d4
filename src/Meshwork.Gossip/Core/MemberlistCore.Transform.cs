using System.Buffers;
using System.Net;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip;

/// <summary>The transform delegate's place in the datagram pipelines: which peers get the alternative codec.</summary>
internal sealed partial class MemberlistCore
{
    private readonly Dictionary<IPEndPoint, NodeState> _byEndPoint = [];
    private readonly ArrayBufferWriter<byte> _transformBuffer = new(1500);
    private ITransformDelegate? _transform;

    /// <summary>The alternative datagram codec (null: msgpack to everyone). Its type byte must not be a memberlist type.</summary>
    public ITransformDelegate? TransformDelegate
    {
        get => _transform;
        set
        {
            if (value is not null && (value.MessageType <= (byte)MessageType.Err || value.MessageType == 244))
            {
                throw new ArgumentException($"transform message type {value.MessageType} is a memberlist message type", nameof(value));
            }
            _transform = value;
        }
    }

    /// <summary>Transformed datagrams sent (for metrics and tests).</summary>
    public long TransformedPacketsSent { get; private set; }

    /// <summary>The message in the peer's codec when it announced one we speak, else the message unchanged.</summary>
    private byte[] Transform(IPEndPoint to, byte[] message)
    {
        if (_transform is not { } t || PeerAt(to) is not { } peer || !Accepts(peer, t)) { return message; }
        _transformBuffer.ResetWrittenCount();
        // Never larger than msgpack (a verbatim message gains the marker byte): the datagram budget was sized for msgpack.
        if (!t.TryEncode(message, _transformBuffer) || _transformBuffer.WrittenCount >= message.Length) { return message; }
        TransformedPacketsSent++;
        return _transformBuffer.WrittenSpan.ToArray();
    }

    private static bool Accepts(NodeState peer, ITransformDelegate t)
    {
        if (peer.TransformDecision is { } d && ReferenceEquals(d.Vsn, peer.Vsn) && ReferenceEquals(d.Meta, peer.Meta)) { return d.Accepts; }
        var accepts = t.CanSendTo(peer.ToNode());
        peer.TransformDecision = (peer.Vsn, peer.Meta, accepts);
        return accepts;
    }

    /// <summary>The known node at an address (cached; a stale entry is checked against the node's current address).</summary>
    private NodeState? PeerAt(IPEndPoint to)
    {
        if (_byEndPoint.TryGetValue(to, out var cached))
        {
            if (At(cached, to) && _nodeMap.TryGetValue(cached.Name, out var current) && ReferenceEquals(current, cached)) { return cached; }
            _byEndPoint.Remove(to);
        }
        foreach (var n in _nodes)
        {
            if (n.Name == Name || !At(n, to)) { continue; }
            if (_byEndPoint.Count >= 2 * _nodes.Count + 16) { _byEndPoint.Clear(); }
            _byEndPoint[to] = n;
            return n;
        }
        return null;
    }

    private static bool At(NodeState n, IPEndPoint ep)
    {
        if (n.Port != ep.Port) { return false; }
        var address = ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address;
        Span<byte> bytes = stackalloc byte[16];
        return address.TryWriteBytes(bytes, out var written) && bytes[..written].SequenceEqual(n.Addr);
    }

    /// <summary>A datagram in the transform's codec: decoded and dispatched like any other message.</summary>
    private bool TryHandleTransformed(IPEndPoint from, byte type, ReadOnlyMemory<byte> body, int depth)
    {
        if (_transform is not { } t || t.MessageType != type) { return false; }
        var decoded = new ArrayBufferWriter<byte>(body.Length * 2 + 16);
        t.Decode(body.Span, decoded);
        HandleMessage(from, decoded.WrittenMemory, depth + 1);
        return true;
    }
}
