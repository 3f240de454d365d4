using System.Globalization;

namespace Meshwork.Hosting.Internal;

/// <summary>Parses configuration values that the binder would otherwise accept only in awkward forms.</summary>
internal static class ConfigValues
{
    /// <summary>
    /// A duration: <c>250ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c> (decimals allowed: <c>1.5s</c>) or a
    /// TimeSpan (<c>00:00:10</c>, <c>1.00:00:00</c>). A bare number is rejected because its unit would be a guess.
    /// Null or empty means "not set".
    /// </summary>
    /// <exception cref="FormatException">The message names <paramref name="key"/>.</exception>
    public static TimeSpan? Duration(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        string text = value.Trim();
        if (text.Contains(':', StringComparison.Ordinal))
        {
            if (TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span)) return span;
        }
        else
        {
            (string unit, double scale) = text switch
            {
                _ when text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => ("ms", 1d),
                _ when text.EndsWith('s') || text.EndsWith('S') => ("s", 1_000d),
                _ when text.EndsWith('m') || text.EndsWith('M') => ("m", 60_000d),
                _ when text.EndsWith('h') || text.EndsWith('H') => ("h", 3_600_000d),
                _ when text.EndsWith('d') || text.EndsWith('D') => ("d", 86_400_000d),
                _ => ("", 0d),
            };
            if (unit.Length > 0 &&
                double.TryParse(text[..^unit.Length], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) &&
                double.IsFinite(amount) && Math.Abs(amount * scale) < TimeSpan.MaxValue.TotalMilliseconds)
            {
                return TimeSpan.FromMilliseconds(amount * scale);
            }
        }
        throw new FormatException($"{key}: '{value}' is not a duration; write it as 250ms, 10s, 5m, 1h, 1d or hh:mm:ss");
    }
}
