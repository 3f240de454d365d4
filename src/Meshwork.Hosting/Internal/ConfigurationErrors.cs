using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Internal;

/// <summary>Turns option errors into messages that name the configuration key to fix.</summary>
internal static partial class ConfigurationErrors
{
    /// <summary>
    /// Rewrites the property path in a Meshwork.Rpc validation message (<c>RpcServerOptions.Tls.Certificate</c>) as the
    /// configuration key (<c>Meshwork:Server:Tls:Certificate</c>), so the message says what to change in the file.
    /// </summary>
    public static string NameKey(string message, string optionsType, string section)
    {
        var pattern = new Regex(Regex.Escape(optionsType) + @"((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", RegexOptions.CultureInvariant);
        return pattern.Replace(message, m => section + m.Groups[1].Value.Replace('.', ':'), 1);
    }

    /// <summary>A failure while reading configuration, reported the same way as a validation failure.</summary>
    public static OptionsValidationException Invalid<TOptions>(string? name, string message) =>
        new(name ?? Options.DefaultName, typeof(TOptions), [message]);
}
