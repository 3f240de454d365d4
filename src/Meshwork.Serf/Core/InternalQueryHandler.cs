using Meshwork.Gossip.Security;
using Meshwork.Gossip.Wire;
using Meshwork.Serf.Wire;
using Microsoft.Extensions.Logging;

namespace Meshwork.Serf;

/// <summary>Answers serf's internal queries: _serf_ping, _serf_conflict and the four key-management queries.</summary>
internal sealed class InternalQueryHandler(SerfCore serf, Keyring? keyring, ILogger log)
{
    public const string Prefix = "_serf_";

    /// <summary>Called after a successful install/use/remove (persists the keyring file).</summary>
    public Action? KeyringChanged { get; init; }

    public void Handle(QueryEventRecord query, QueryMessage raw)
    {
        switch (query.Name)
        {
            case "_serf_ping":
                break;
            case "_serf_conflict":
                AnswerConflict(query);
                break;
            case "_serf_install-key":
            case "_serf_use-key":
            case "_serf_remove-key":
            case "_serf_list-keys":
                AnswerKeyQuery(query);
                break;
            default:
                SerfLog.UnknownInternalQuery(log, query.Name);
                break;
        }
        _ = raw;
    }

    private void AnswerConflict(QueryEventRecord query)
    {
        var name = System.Text.Encoding.UTF8.GetString(query.Payload);
        if (name == serf.Name) { return; }
        var m = serf.Find(name);
        var w = new MsgPackWriter();
        w.WriteByte((byte)SerfMessageType.ConflictResponse);
        if (m is null) { w.WriteNil(); }
        else
        {
            w.WriteMapHeader(11);
            w.Key("Addr"); w.WriteBytes(m.Address.GetAddressBytes());
            w.Key("DelegateCur"); w.WriteUInt(m.DelegateCur);
            w.Key("DelegateMax"); w.WriteUInt(m.DelegateMax);
            w.Key("DelegateMin"); w.WriteUInt(m.DelegateMin);
            w.Key("Name"); w.WriteString(m.Name);
            w.Key("Port"); w.WriteUInt((ulong)m.Port);
            w.Key("ProtocolCur"); w.WriteUInt(m.ProtocolCur);
            w.Key("ProtocolMax"); w.WriteUInt(m.ProtocolMax);
            w.Key("ProtocolMin"); w.WriteUInt(m.ProtocolMin);
            w.Key("Status"); w.WriteInt((int)m.Status);
            w.Key("Tags");
            w.WriteMapHeader(m.Tags.Count);
            foreach (var (k, v) in m.Tags) { w.WriteString(k); w.WriteString(v); }
        }
        RespondLater(query, w.ToArray());
    }

    private void AnswerKeyQuery(QueryEventRecord query)
    {
        KeyResponseMessage response;
        if (keyring is null)
        {
            var msg = query.Name == "_serf_list-keys" ? "Keyring is empty (encryption not enabled)" : "No keyring to modify (encryption not enabled)";
            response = new KeyResponseMessage(false, msg, null, "");
        }
        else
        {
            try
            {
                if (query.Name != "_serf_list-keys")
                {
                    if (query.Payload.Length < 2) { throw new InvalidOperationException("empty key request"); }
                    var key = SerfCodec.ReadKeyRequest(query.Payload.AsSpan(1));
                    switch (query.Name)
                    {
                        case "_serf_install-key": keyring.AddKey(key); break;
                        case "_serf_use-key": keyring.UseKey(key); break;
                        case "_serf_remove-key": keyring.RemoveKey(key); break;
                    }
                    SerfLog.KeyringChanged(log, query.Name);
                    try { KeyringChanged?.Invoke(); }
                    catch (IOException e) { SerfLog.SnapshotFailed(log, e); }
                    response = new KeyResponseMessage(true, "", null, "");
                }
                else
                {
                    var keys = keyring.Keys.Select(Convert.ToBase64String).ToList();
                    response = new KeyResponseMessage(true, "", keys, Convert.ToBase64String(keyring.PrimaryKey));
                }
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or WireFormatException)
            {
                response = new KeyResponseMessage(false, e.Message, null, "");
            }
        }
        RespondLater(query, SerfCodec.Encode(SerfMessageType.KeyResponse, response.Write));
    }

    // The handler runs under the node lock; the responder takes it again, so answer from the thread pool.
    private static void RespondLater(QueryEventRecord query, byte[] payload) =>
        _ = Task.Run(async () =>
        {
            try { await query.RespondAsync(payload).ConfigureAwait(false); }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        });
}
