using Meshwork.Serf.Wire;

namespace Meshwork.Serf;

/// <summary>Outcome of a cluster-wide key operation.</summary>
/// <param name="NumNodes">Alive members when the query started.</param>
/// <param name="NumResponses">Members that answered.</param>
/// <param name="NumErrors">Answers that reported a failure or could not be read.</param>
/// <param name="Messages">Error or information text by member name.</param>
/// <param name="Keys">For list: base64 key → number of members holding it.</param>
/// <param name="PrimaryKeys">For list: base64 primary key → number of members using it.</param>
public sealed record KeyOperationResult(
    int NumNodes,
    int NumResponses,
    int NumErrors,
    IReadOnlyDictionary<string, string> Messages,
    IReadOnlyDictionary<string, int> Keys,
    IReadOnlyDictionary<string, int> PrimaryKeys)
{
    /// <summary>True when every alive member answered without error.</summary>
    public bool Succeeded => NumErrors == 0 && NumResponses >= NumNodes;
}

/// <summary>
/// Cluster key rotation through serf's internal queries (<c>_serf_install-key</c>, <c>_serf_use-key</c>,
/// <c>_serf_remove-key</c>, <c>_serf_list-keys</c>), the same mechanism <c>serf keys</c> uses.
/// </summary>
public sealed class KeyManager
{
    private readonly SerfNode _node;

    internal KeyManager(SerfNode node) => _node = node;

    /// <summary>Installs a base64 key on every member (no-op where present).</summary>
    public Task<KeyOperationResult> InstallKeyAsync(string base64Key) => RunAsync("_serf_install-key", base64Key);

    /// <summary>Makes an installed key primary on every member.</summary>
    public Task<KeyOperationResult> UseKeyAsync(string base64Key) => RunAsync("_serf_use-key", base64Key);

    /// <summary>Removes a non-primary key from every member.</summary>
    public Task<KeyOperationResult> RemoveKeyAsync(string base64Key) => RunAsync("_serf_remove-key", base64Key);

    /// <summary>Lists the keys installed across the cluster with how many members hold each.</summary>
    public Task<KeyOperationResult> ListKeysAsync() => RunAsync("_serf_list-keys", null);

    private async Task<KeyOperationResult> RunAsync(string query, string? base64Key)
    {
        var raw = base64Key is null ? [] : Convert.FromBase64String(base64Key);
        if (base64Key is not null) { Gossip.Security.Keyring.ValidateKey(raw); }
        var payload = SerfCodec.KeyRequest(raw);
        var numNodes = _node.Members().Count(m => m.Status == MemberStatus.Alive);
        var response = _node.Query(query, payload);
        // Stop early once every alive member answered; otherwise collect until the query deadline.
        var answers = new List<NodeResponse>();
        await foreach (var a in response.Responses.ReadAllAsync().ConfigureAwait(false))
        {
            answers.Add(a);
            if (answers.Count >= numNodes) { break; }
        }
        var messages = new Dictionary<string, string>(StringComparer.Ordinal);
        var keys = new Dictionary<string, int>(StringComparer.Ordinal);
        var primaries = new Dictionary<string, int>(StringComparer.Ordinal);
        var errors = 0;
        foreach (var a in answers)
        {
            if (a.Payload.Length < 2 || a.Payload[0] != (byte)SerfMessageType.KeyResponse)
            {
                errors++;
                messages[a.From] = "invalid key response";
                continue;
            }
            KeyResponseMessage r;
            try { r = SerfCodec.Decode(a.Payload.AsSpan(1), KeyResponseMessage.Read); }
            catch (Exception e) when (e is Gossip.Wire.WireFormatException or OverflowException)
            {
                _node.MalformedInput.Report(null, new(SerfMalformedInputKinds.Response, $"key response from '{a.From}': {e.Message}"));
                errors++;
                messages[a.From] = "invalid key response";
                continue;
            }
            if (!r.Result) { errors++; }
            if (r.Message.Length > 0) { messages[a.From] = r.Message; }
            foreach (var k in r.Keys ?? []) { keys[k] = keys.GetValueOrDefault(k) + 1; }
            if (r.PrimaryKey.Length > 0) { primaries[r.PrimaryKey] = primaries.GetValueOrDefault(r.PrimaryKey) + 1; }
        }
        return new KeyOperationResult(numNodes, answers.Count, errors, messages, keys, primaries);
    }
}
