using System.Text.RegularExpressions;

namespace Meshwork.Tars;

/// <summary>
/// A TARS proxy string: <c>App.Server.Obj[#anything][@endpoint[:endpoint...]]</c>, e.g.
/// <c>MeshTest.EchoServer.EchoObj@tcp -h 127.0.0.1 -p 18015 -t 60000:tcp -h 10.0.0.2 -p 18016</c>. Without <c>@</c> the
/// object is resolved through a TARS registry (locator). Endpoints are split where <c>:</c> is followed by a transport
/// keyword, as current TarsCpp does, so IPv6 hosts survive.
/// </summary>
public sealed partial class TarsProxyString
{
    private TarsProxyString(string objectName, IReadOnlyList<TarsEndpoint> endpoints)
    {
        ObjectName = objectName;
        Endpoints = endpoints;
    }

    /// <summary>The object name (without any <c>#...</c> suffix).</summary>
    public string ObjectName { get; }

    /// <summary>The direct endpoints; empty when the object is to be resolved through a registry.</summary>
    public IReadOnlyList<TarsEndpoint> Endpoints { get; }

    /// <summary>Parses a proxy string.</summary>
    /// <param name="text">The proxy string.</param>
    /// <returns>The parsed form.</returns>
    /// <exception cref="TarsProxyFormatException">The text is not a valid proxy string; the message says why.</exception>
    public static TarsProxyString Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string trimmed = text.Trim();
        int at = trimmed.IndexOf('@', StringComparison.Ordinal);
        string name = (at < 0 ? trimmed : trimmed[..at]).Trim();
        int hash = name.IndexOf('#', StringComparison.Ordinal);
        if (hash >= 0) name = name[..hash].Trim();
        if (name.Length == 0) throw new TarsProxyFormatException(text, "the object name before '@' is empty (expected App.Server.Obj)");
        if (name.Any(char.IsWhiteSpace)) throw new TarsProxyFormatException(text, $"the object name '{name}' contains whitespace");
        if (at < 0) return new TarsProxyString(name, []);
        string rest = trimmed[(at + 1)..];
        if (rest.Trim().Length == 0) throw new TarsProxyFormatException(text, "nothing follows '@' (expected 'tcp -h <host> -p <port>')");
        var endpoints = new List<TarsEndpoint>();
        foreach (var part in EndpointSeparator().Split(rest))
        {
            if (part.Trim().Length == 0) throw new TarsProxyFormatException(text, "an endpoint between ':' separators is empty");
            try
            {
                endpoints.Add(TarsEndpoint.Parse(part));
            }
            catch (TarsProxyFormatException e)
            {
                throw new TarsProxyFormatException(text, e.Problem);
            }
        }
        return new TarsProxyString(name, endpoints);
    }

    /// <summary>The proxy string in TARS syntax.</summary>
    /// <returns>E.g. <c>App.Server.Obj@tcp -h 127.0.0.1 -p 18015 -t 3000</c>.</returns>
    public override string ToString() =>
        Endpoints.Count == 0 ? ObjectName : ObjectName + "@" + string.Join(':', Endpoints.Select(e => e.ToString()));

    [GeneratedRegex(@":\s*(?=(?:tcp|udp|ssl)(?:\s|$))", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex EndpointSeparator();
}

/// <summary>A TARS proxy string or endpoint is malformed. The message quotes the input and says what is wrong.</summary>
public sealed class TarsProxyFormatException : FormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="input">The text that failed to parse.</param>
    /// <param name="problem">What is wrong with it.</param>
    public TarsProxyFormatException(string input, string problem)
        : base($"invalid TARS proxy string '{input}': {problem}")
    {
        Input = input;
        Problem = problem;
    }

    /// <summary>The text that failed to parse.</summary>
    public string Input { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
