using System.Globalization;
using System.Text;

namespace Meshwork.Tars;

/// <summary>Transport of a TARS endpoint.</summary>
public enum TarsTransport
{
    /// <summary>TCP (EndpointF <c>istcp</c> 1).</summary>
    Tcp = 1,
    /// <summary>UDP (EndpointF <c>istcp</c> 0): one request per datagram, with the 4-byte length prefix; a packet must fit one datagram.</summary>
    Udp = 0,
    /// <summary>TCP with TLS (EndpointF <c>istcp</c> 2); the TARS frames travel inside the TLS stream.</summary>
    Ssl = 2,
}

/// <summary>
/// One TARS endpoint, as in <c>tcp -h 127.0.0.1 -p 18015 -t 60000</c>. Options: <c>-h</c> host (required; <c>*</c> =
/// all interfaces), <c>-p</c> port, <c>-t</c> timeout in ms (default 3000; a server's idle-connection timeout),
/// <c>-g</c> grid, <c>-q</c> qos, <c>-w</c> weight (default -1 = unset), <c>-v</c> weight type, <c>-e</c> auth type.
/// Unknown options are ignored, as C++ and Go do.
/// </summary>
/// <param name="Transport">tcp, udp or ssl.</param>
/// <param name="Host">Host name or address.</param>
/// <param name="Port">Port, 0..65535 (0 on a server = any free port).</param>
public sealed record TarsEndpoint(TarsTransport Transport, string Host, int Port)
{
    /// <summary>Default <c>-t</c>: 3000 ms, as C++ and Go.</summary>
    public const int DefaultTimeout = 3000;

    /// <summary><c>-t</c>: milliseconds (client call timeout hint; server idle-connection timeout). Default 3000.</summary>
    public int Timeout { get; init; } = DefaultTimeout;

    /// <summary><c>-g</c>: grid (grey routing) value. Default 0.</summary>
    public int Grid { get; init; }

    /// <summary><c>-q</c>: QoS value. Default 0.</summary>
    public int Qos { get; init; }

    /// <summary><c>-w</c>: weight, or -1 when unset (the default).</summary>
    public int Weight { get; init; } = -1;

    /// <summary><c>-v</c>: weight type (0 round robin, 1 static weight). Default 0.</summary>
    public int WeightType { get; init; }

    /// <summary><c>-e</c>: auth type (0 none, 1 local auth). Default 0.</summary>
    public int AuthType { get; init; }

    /// <summary>Parses one endpoint.</summary>
    /// <param name="text">E.g. <c>tcp -h 127.0.0.1 -p 18015 -t 60000</c>.</param>
    /// <returns>The endpoint.</returns>
    /// <exception cref="TarsProxyFormatException">The text is not a valid endpoint; the message says why.</exception>
    public static TarsEndpoint Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw new TarsProxyFormatException(text, "the endpoint is empty (expected 'tcp -h <host> -p <port>')");
        var transport = tokens[0].ToLowerInvariant() switch
        {
            "tcp" => TarsTransport.Tcp,
            "udp" => TarsTransport.Udp,
            "ssl" => TarsTransport.Ssl,
            _ => throw new TarsProxyFormatException(text, $"unknown transport '{tokens[0]}' (expected tcp, udp or ssl)"),
        };
        string? host = null;
        int port = -1, timeout = DefaultTimeout, grid = 0, qos = 0, weight = -1, weightType = 0, authType = 0;
        for (int i = 1; i < tokens.Length; i++)
        {
            string option = tokens[i];
            if (option.Length != 2 || option[0] != '-')
                throw new TarsProxyFormatException(text, $"expected an option such as -h or -p, found '{option}'");
            if (i + 1 >= tokens.Length) throw new TarsProxyFormatException(text, $"option {option} has no value");
            string value = tokens[++i];
            switch (option[1])
            {
                case 'h': host = value == "*" ? "0.0.0.0" : value; break;
                case 'p': port = Number(text, option, value, 0, 65535); break;
                case 't': timeout = Number(text, option, value, 0, int.MaxValue); break;
                case 'g': grid = Number(text, option, value, int.MinValue, int.MaxValue); break;
                case 'q': qos = Number(text, option, value, int.MinValue, int.MaxValue); break;
                case 'w': weight = Number(text, option, value, -1, int.MaxValue); break;
                case 'v': weightType = Number(text, option, value, 0, 1); break;
                case 'e': authType = Number(text, option, value, 0, 1); break;
                default: break; // unknown options are ignored, as C++ and Go do (e.g. Go's -b bind address)
            }
        }
        if (host is null) throw new TarsProxyFormatException(text, "the endpoint has no host (-h)");
        if (port < 0) throw new TarsProxyFormatException(text, "the endpoint has no port (-p)");
        return new TarsEndpoint(transport, host, port)
        {
            Timeout = timeout,
            Grid = grid,
            Qos = qos,
            Weight = weight,
            WeightType = weightType,
            AuthType = authType,
        };
    }

    /// <summary>The endpoint in TARS syntax (options at their defaults are left out, except -t).</summary>
    /// <returns>E.g. <c>tcp -h 127.0.0.1 -p 18015 -t 60000</c>.</returns>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(Transport switch { TarsTransport.Udp => "udp", TarsTransport.Ssl => "ssl", _ => "tcp" });
        sb.Append(CultureInfo.InvariantCulture, $" -h {Host} -p {Port} -t {Timeout}");
        if (Grid != 0) sb.Append(CultureInfo.InvariantCulture, $" -g {Grid}");
        if (Qos != 0) sb.Append(CultureInfo.InvariantCulture, $" -q {Qos}");
        if (Weight != -1) sb.Append(CultureInfo.InvariantCulture, $" -w {Weight}");
        if (WeightType != 0) sb.Append(CultureInfo.InvariantCulture, $" -v {WeightType}");
        if (AuthType != 0) sb.Append(CultureInfo.InvariantCulture, $" -e {AuthType}");
        return sb.ToString();
    }

    private static int Number(string text, string option, string value, int min, int max)
    {
        if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n) || n < min || n > max)
            throw new TarsProxyFormatException(text, $"option {option} needs an integer in {min}..{max}, found '{value}'");
        return (int)n;
    }
}
