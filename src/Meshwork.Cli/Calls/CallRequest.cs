using System.Text;
using System.Text.Json;
using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Cli.Calls;

/// <summary>What <c>meshwork call</c> was asked to do, checked: target, method, kind, request messages, options.</summary>
internal sealed record CallRequest(string? Address, string Service, string Method, CallKind? Kind, IReadOnlyList<JsonElement> Messages,
    Metadata? Headers, TimeSpan Timeout, bool Idempotent)
{
    /// <summary>Longest request read from stdin: far above any sensible call, small enough never to exhaust memory.</summary>
    public const int MaxInputBytes = 64 * 1024 * 1024;

    public string FullName => Service + "/" + Method;

    /// <exception cref="UsageException">Something on the command line is malformed.</exception>
    public static CallRequest Parse(string[] target, string[]? headers, string kind, double timeoutSeconds, bool idempotent)
    {
        string? address = null;
        string method;
        string? data = null;
        if (target.Length == 3 || target.Length == 2 && IsAddress(target[0]) && !IsAddress(target[1]))
        {
            address = target[0];
            method = target[1];
            if (target.Length == 3) data = target[2];
        }
        else
        {
            method = target[0];
            if (target.Length > 1) data = target[1];
        }
        int slash = method.IndexOf('/');
        if (slash <= 0 || slash == method.Length - 1 || method.IndexOf('/', slash + 1) >= 0)
        {
            throw new UsageException($"method must look like Service/Method, got '{method}'");
        }
        if (timeoutSeconds <= 0 || double.IsNaN(timeoutSeconds)) throw new UsageException($"--timeout must be positive (was {timeoutSeconds})");
        Metadata? metadata = null;
        foreach (var h in headers ?? [])
        {
            int eq = h.IndexOf('=');
            if (eq <= 0) throw new UsageException($"header must be key=value, got '{h}'");
            (metadata ??= new()).Add(h[..eq], h[(eq + 1)..]);
        }
        return new CallRequest(address, method[..slash], method[(slash + 1)..], ParseKind(kind), ParseMessages(data), metadata,
            TimeSpan.FromSeconds(timeoutSeconds), idempotent);
    }

    /// <summary>host:port, [v6]:port or unix:///path; a Service/Method never has a colon.</summary>
    private static bool IsAddress(string s) => s.StartsWith("unix://", StringComparison.Ordinal) || (s.Contains(':') && !s.Contains('/'));

    private static CallKind? ParseKind(string kind) => kind.ToLowerInvariant() switch
    {
        "auto" => null,
        "unary" => CallKind.Unary,
        "server-streaming" => CallKind.ServerStreaming,
        "client-streaming" => CallKind.ClientStreaming,
        "duplex" or "duplex-streaming" => CallKind.DuplexStreaming,
        "one-way" => CallKind.OneWay,
        _ => throw new UsageException($"--kind must be auto, unary, server-streaming, client-streaming, duplex or one-way, got '{kind}'"),
    };

    /// <summary>The request text as a sequence of JSON values (none: an empty message).</summary>
    private static List<JsonElement> ParseMessages(string? data)
    {
        if (data == "-") data = ReadStdin();
        var messages = new List<JsonElement>();
        if (string.IsNullOrWhiteSpace(data)) return messages;
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(data), new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = JsonMessagePack.MaxDepth });
        try
        {
            while (reader.Read()) messages.Add(JsonElement.ParseValue(ref reader));
        }
        catch (JsonException e)
        {
            throw new UsageException($"the request is not valid JSON ({e.Message}); a string needs quotes: '\"text\"'");
        }
        return messages;
    }

    private static string ReadStdin()
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stdin.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + n > MaxInputBytes) throw new UsageException($"the request on stdin is over {MaxInputBytes / (1024 * 1024)} MiB");
            buffer.Write(chunk, 0, n);
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
