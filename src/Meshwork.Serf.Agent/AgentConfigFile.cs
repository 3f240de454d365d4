using System.Globalization;
using System.Text.Json;

namespace Meshwork.Serf.Agent;

/// <summary>
/// Reads serf's JSON agent configuration (<c>-config-file</c>, <c>-config-dir</c>) onto <see cref="SerfAgentOptions"/>.
/// Files apply in the order given, a directory's <c>*.json</c> files in name order; a later file's scalars replace
/// earlier ones and its lists (<c>event_handlers</c>, <c>start_join</c>, <c>retry_join</c>) are appended, as serf
/// merges them. Unknown keys are an error that names the file and key, so that a typo is never silently ignored.
/// </summary>
public static class AgentConfigFile
{
    /// <summary>Applies the files and directories in <paramref name="paths"/> to <paramref name="options"/>.</summary>
    /// <exception cref="AgentConfigException">A file cannot be read, is not JSON, or has a bad or unknown key.</exception>
    public static void Apply(SerfAgentOptions options, IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.GetFiles(path, "*.json").Order(StringComparer.Ordinal)) ApplyFile(options, file);
            }
            else
            {
                ApplyFile(options, path);
            }
        }
    }

    private static void ApplyFile(SerfAgentOptions o, string file)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new AgentConfigException(file, null, ex.Message, ex);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new AgentConfigException(file, null, "the configuration must be a JSON object");
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                try
                {
                    ApplyKey(o, p.Name, p.Value);
                }
                catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
                {
                    throw new AgentConfigException(file, p.Name, ex.Message, ex);
                }
            }
        }
    }

    private static void ApplyKey(SerfAgentOptions o, string key, JsonElement v)
    {
        switch (key)
        {
            case "node_name": o.NodeName = Text(v); break;
            case "bind": o.BindAddress = Text(v); break;
            case "advertise": o.AdvertiseAddress = Text(v); break;
            case "rpc_addr": o.RpcAddress = Text(v); break;
            case "rpc_auth": o.RpcAuthKey = Text(v); break;
            case "encrypt_key": o.EncryptKey = Text(v); break;
            case "keyring_file": o.KeyringFile = Text(v); break;
            case "tags_file": o.TagsFile = Text(v); break;
            case "stream_tls_cert_file": o.StreamTlsCertFile = Text(v); break;
            case "stream_tls_key_file": o.StreamTlsKeyFile = Text(v); break;
            case "stream_tls_ca_file": o.StreamTlsCaFile = Text(v); break;
            case "stream_tls_accept_plain": o.StreamTlsAcceptPlain = v.GetBoolean(); break;
            case "snapshot_path": o.SnapshotPath = Text(v); break;
            case "profile": o.Profile = Text(v); break;
            case "log_level": o.LogLevel = Text(v); break;
            case "protocol": o.Protocol = checked((byte)v.GetInt32()); break;
            case "retry_interval": o.RetryInterval = ParseDuration(Text(v)); break;
            case "retry_max_attempts": o.RetryMaxAttempts = v.GetInt32(); break;
            case "rejoin_after_leave": o.Rejoin = v.GetBoolean(); break;
            case "replay_on_join": o.Replay = v.GetBoolean(); break;
            case "leave_on_terminate": o.LeaveOnTerminate = v.GetBoolean(); break;
            case "skip_leave_on_interrupt": o.SkipLeaveOnInterrupt = v.GetBoolean(); break;
            case "event_handlers": o.EventHandlers.AddRange(List(v)); break;
            case "start_join": o.StartJoin.AddRange(List(v)); break;
            case "retry_join": o.RetryJoin.AddRange(List(v)); break;
            case "tags":
                if (v.ValueKind != JsonValueKind.Object) throw new FormatException("expected an object of string values");
                foreach (var t in v.EnumerateObject()) o.Tags[t.Name] = Text(t.Value);
                break;
            default:
                throw new FormatException("unknown configuration key");
        }
    }

    private static string Text(JsonElement v) =>
        v.ValueKind == JsonValueKind.String ? v.GetString()! : throw new FormatException($"expected a string, got {v.ValueKind.ToString().ToLowerInvariant()}");

    private static IEnumerable<string> List(JsonElement v) =>
        v.ValueKind == JsonValueKind.Array ? v.EnumerateArray().Select(Text).ToList() : throw new FormatException("expected a list of strings");

    /// <summary>Parses a Go duration such as <c>30s</c>, <c>1m30s</c>, <c>500ms</c> or <c>2h</c>.</summary>
    /// <exception cref="FormatException">Not a duration.</exception>
    public static TimeSpan ParseDuration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "0") return TimeSpan.Zero;
        var total = TimeSpan.Zero;
        int i = 0;
        if (text.Length == 0) throw new FormatException("empty duration");
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.')) i++;
            if (start == i) throw new FormatException($"invalid duration '{text}'");
            double n = double.Parse(text.AsSpan(start, i - start), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            int u = i;
            while (i < text.Length && char.IsAsciiLetter(text[i])) i++;
            total += text[u..i] switch
            {
                "ns" => TimeSpan.FromTicks((long)(n / 100)),
                "us" or "µs" => TimeSpan.FromMicroseconds(n),
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                _ => throw new FormatException($"invalid duration '{text}': unknown unit '{text[u..i]}'"),
            };
        }
        return total;
    }
}

/// <summary>An agent configuration file is unreadable or has a bad value; <see cref="Key"/> names it when known.</summary>
public sealed class AgentConfigException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/> and, when known, <paramref name="key"/>.</summary>
    public AgentConfigException(string file, string? key, string problem, Exception? inner = null)
        : base(key is null ? $"config file {file}: {problem}" : $"config file {file}: key '{key}': {problem}", inner)
    {
        File = file;
        Key = key;
    }

    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>The key, when the problem is in one.</summary>
    public string? Key { get; }
}
