using System.Net;
using System.Text.RegularExpressions;
using Meshwork.Gossip;
using Meshwork.Gossip.Wire;
using Meshwork.Serf.Wire;

namespace Meshwork.Serf;

internal sealed partial class SerfCore
{
    private sealed class QuerySlot(ulong ltime)
    {
        public ulong LTime { get; } = ltime;
        public HashSet<uint> Ids { get; } = [];
    }

    private readonly QuerySlot?[] _queryBuffer;
    private readonly Dictionary<ulong, QueryResponse> _responses = [];
    private ulong _queryMinTime;

    /// <summary>Handler for queries named <c>_serf_…</c> (key management, conflict, ping).</summary>
    public InternalQueryHandler? Internal { get; set; }

    public TimeSpan DefaultQueryTimeout()
    {
        var n = Math.Max(1, NumAliveMembers());
        return _ml.Options.GossipInterval * Options.QueryTimeoutMult * Math.Ceiling(Math.Log10(n + 1.0));
    }

    /// <summary>Starts a query; the returned collector closes at its deadline.</summary>
    public QueryResponse Query(string name, byte[] payload, QueryParams p)
    {
        if (Options.ProtocolVersion < 4) { throw new InvalidOperationException("Feature not supported"); }
        EnsureSendable(p);
        var filters = new List<byte[]>();
        if (p.FilterNodes.Count > 0)
        {
            filters.Add(SerfCodec.Encode(0, w => { w.WriteArrayHeader(p.FilterNodes.Count); foreach (var n in p.FilterNodes) { w.WriteString(n); } }));
        }
        foreach (var (tag, expr) in p.FilterTags)
        {
            filters.Add(SerfCodec.Encode((SerfMessageType)1, w =>
            {
                w.WriteMapHeader(2);
                w.Key("Expr"); w.WriteString(expr);
                w.Key("Tag"); w.WriteString(tag);
            }));
        }
        var timeout = p.Timeout ?? DefaultQueryTimeout();
        var flags = p.RequestAck ? QueryMessage.FlagAck : 0;
        var advertise = _ml.AdvertiseEndPoint;
        var q = new QueryMessage(QueryClock.Time, (uint)_random.Next(int.MaxValue), advertise.Address.GetAddressBytes(), (ushort)advertise.Port,
            Name, filters.Count == 0 ? null : filters, flags, p.RelayFactor, (long)(timeout.TotalMilliseconds * 1_000_000), name, payload);
        EnsureSendable(q);
        var raw = SerfCodec.Encode(SerfMessageType.Query, q.Write);
        if (raw.Length > Options.QuerySizeLimit) { throw new ArgumentException($"query exceeds limit of {Options.QuerySizeLimit} bytes"); }

        var resp = new QueryResponse(q.LTime, q.ID, DateTimeOffset.UtcNow + timeout);
        _responses[q.LTime] = resp;
        _ml.Clock.Schedule(timeout, () =>
        {
            resp.Close();
            if (_responses.TryGetValue(q.LTime, out var current) && current == resp) { _responses.Remove(q.LTime); }
        });
        QueryClock.Increment();
        HandleQuery(q);
        Enqueue(_queryQueue, raw);
        return resp;
    }

    internal bool HandleQuery(QueryMessage q)
    {
        QueryClock.Witness(q.LTime);
        if (q.LTime < _queryMinTime) { return false; }
        var now = QueryClock.Time;
        var size = (ulong)_queryBuffer.Length;
        if (now > size && q.LTime < now - size) { return false; }
        var idx = (int)(q.LTime % size);
        var slot = _queryBuffer[idx];
        if (slot is not null && slot.LTime == q.LTime)
        {
            if (!slot.Ids.Add(q.ID)) { return false; }
        }
        else
        {
            slot = new QuerySlot(q.LTime);
            slot.Ids.Add(q.ID);
            _queryBuffer[idx] = slot;
        }
        var rebroadcast = (q.Flags & QueryMessage.FlagNoBroadcast) == 0;
        if (!ShouldProcess(q.Filters)) { return rebroadcast; }

        if ((q.Flags & QueryMessage.FlagAck) != 0)
        {
            var ack = new QueryResponseMessage(q.LTime, q.ID, Name, QueryMessage.FlagAck, null);
            SendResponse(q, SerfCodec.Encode(SerfMessageType.QueryResponse, ack.Write));
        }

        var responded = false;
        Task Respond(byte[] payload)
        {
            lock (_ml.StateLock)
            {
                if (responded) { throw new InvalidOperationException("response already sent"); }
                var resp = new QueryResponseMessage(q.LTime, q.ID, Name, 0, payload);
                var raw = SerfCodec.Encode(SerfMessageType.QueryResponse, resp.Write);
                if (raw.Length > Options.QueryResponseSizeLimit)
                {
                    throw new ArgumentException($"response exceeds limit of {Options.QueryResponseSizeLimit} bytes");
                }
                responded = true;
                SendResponse(q, raw);
            }
            return Task.CompletedTask;
        }

        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromTicks(q.Timeout / 100);
        var record = new QueryEventRecord(q.LTime, q.ID, q.Name, q.Payload, q.SourceNode, deadline) { Responder = Respond };
        if (q.Name.StartsWith(InternalQueryHandler.Prefix, StringComparison.Ordinal))
        {
            Internal?.Handle(record, q);
        }
        else
        {
            Emit(record);
        }
        return rebroadcast;
    }

    /// <summary>Sends a response (or ack) directly to the querier and through RelayFactor random members.</summary>
    private void SendResponse(QueryMessage q, byte[] raw)
    {
        if (q.Addr.Length is not (4 or 16)) { return; }
        var dest = new IPEndPoint(new IPAddress(q.Addr), q.Port);
        _ml.SendUserPacket(dest, raw);
        if (q.RelayFactor == 0) { return; }
        var candidates = _ml.Members.Where(n => n.Status == NodeStatus.Alive && n.Name != Name && n.ProtocolMax >= 5).ToList();
        if (candidates.Count < q.RelayFactor) { return; }
        var w = new MsgPackWriter();
        w.WriteByte((byte)SerfMessageType.Relay);
        new RelayHeader(q.Addr, q.Port, q.SourceNode).Write(w);
        w.WriteRawBytes(raw);
        var relayed = w.ToArray();
        // Like serf's relayResponse: a relay that would not fit the response limit is not sent.
        if (relayed.Length > Options.QueryResponseSizeLimit) { return; }
        for (var i = 0; i < q.RelayFactor && candidates.Count > 0; i++)
        {
            var j = _random.Next(candidates.Count);
            _ml.SendUserPacket(candidates[j].EndPoint, relayed);
            candidates.RemoveAt(j);
        }
    }

    private void HandleRelay(ReadOnlySpan<byte> body)
    {
        var r = new MsgPackReader(body);
        RelayHeader header;
        try { header = RelayHeader.Read(ref r); }
        catch (Exception e) when (e is WireFormatException or OverflowException)
        {
            Report(new(SerfMalformedInputKinds.Relay, "relay header undecodable: " + e.Message));
            return;
        }
        if (SerfInvariants.CheckRelay(header, r.Rest) is { } bad) { Report(bad); return; }
        _ml.SendUserPacket(new IPEndPoint(new IPAddress(header.DestIP), header.DestPort), r.Rest);
    }

    private void HandleQueryResponse(QueryResponseMessage resp)
    {
        if (!_responses.TryGetValue(resp.LTime, out var collector) || collector.Id != resp.ID) { return; }
        if (resp.IsAck) { collector.AddAck(resp.From); }
        else { collector.AddResponse(resp.From, resp.Payload ?? []); }
    }

    private bool ShouldProcess(List<byte[]>? filters)
    {
        if (filters is null) { return true; }
        foreach (var f in filters)
        {
            if (f.Length == 0) { return false; }
            try
            {
                switch (f[0])
                {
                    case 0:
                    {
                        var r = new MsgPackReader(f.AsSpan(1));
                        var found = false;
                        for (var i = r.ReadArrayHeader(); i > 0; i--) { if (r.ReadString() == Name) { found = true; } }
                        if (!found) { return false; }
                        break;
                    }
                    case 1:
                    {
                        var r = new MsgPackReader(f.AsSpan(1));
                        string expr = "", tag = "";
                        for (var i = r.ReadMapHeader(); i > 0; i--)
                        {
                            switch (r.ReadString())
                            {
                                case "Expr": expr = r.ReadString(); break;
                                case "Tag": tag = r.ReadString(); break;
                                default: r.Skip(); break;
                            }
                        }
                        var value = Tags.GetValueOrDefault(tag) ?? "";
                        if (!Regex.IsMatch(value, expr, RegexOptions.None, TimeSpan.FromSeconds(1))) { return false; }
                        break;
                    }
                    default:
                        return false;
                }
            }
            catch (Exception e) when (e is WireFormatException or ArgumentException or RegexMatchTimeoutException)
            {
                return false;
            }
        }
        return true;
    }
}
