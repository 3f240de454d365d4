using System.Globalization;

namespace Meshwork.Hosting.Internal;

/// <summary>
/// Parses the text of one configuration value into the type of the option it sets. Every failure is a
/// <see cref="FormatException"/> whose message starts with the configuration key, so the user knows what to fix.
/// </summary>
internal static class ConfigValues
{
    /// <summary>Whether a configuration value (one string) can set a property of this type.</summary>
    public static bool IsScalar(Type type) =>
        type == typeof(string) || type == typeof(bool) || type == typeof(TimeSpan) || type.IsEnum || IsInteger(type) ||
        type == typeof(double) || type == typeof(float) || type == typeof(decimal);

    /// <summary>Parses <paramref name="text"/> (not blank) as <paramref name="type"/> (a type <see cref="IsScalar"/> accepts).</summary>
    /// <exception cref="FormatException">The text is not a value of the type; the message names <paramref name="key"/>.</exception>
    public static object Parse(Type type, string text, string key)
    {
        string value = text.Trim();
        if (type == typeof(string)) return value;
        if (type == typeof(bool))
        {
            return bool.TryParse(value, out bool flag) ? flag : throw new FormatException($"{key}: '{text}' is not true or false");
        }
        if (type == typeof(TimeSpan)) return Duration(value, key);
        if (type.IsEnum) return EnumValue(type, value, key);
        if (IsInteger(type)) return Integer(type, value, key);
        if (type == typeof(decimal) && decimal.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal exact)) return exact;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double number) && double.IsFinite(number))
        {
            if (type == typeof(double)) return number;
            if (type == typeof(float) && Math.Abs(number) <= float.MaxValue) return (float)number;
        }
        throw new FormatException($"{key}: '{text}' is not a number");
    }

    /// <summary>
    /// A duration: <c>250ms</c>, <c>10s</c>, <c>5m</c>, <c>1h</c>, <c>1d</c> (decimals allowed: <c>1.5s</c>) or a
    /// TimeSpan (<c>00:00:10</c>, <c>1.00:00:00</c>). A bare number is rejected because its unit would be a guess.
    /// </summary>
    /// <exception cref="FormatException">The message names <paramref name="key"/>.</exception>
    public static TimeSpan Duration(string value, string key)
    {
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

    private static bool IsInteger(Type type) =>
        type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(sbyte) ||
        type == typeof(uint) || type == typeof(ulong) || type == typeof(ushort) || type == typeof(byte);

    private static object Integer(Type type, string value, string key)
    {
        (decimal min, decimal max) = type switch
        {
            _ when type == typeof(int) => Bounds(int.MinValue, int.MaxValue),
            _ when type == typeof(long) => Bounds(long.MinValue, long.MaxValue),
            _ when type == typeof(short) => Bounds(short.MinValue, short.MaxValue),
            _ when type == typeof(sbyte) => Bounds(sbyte.MinValue, sbyte.MaxValue),
            _ when type == typeof(uint) => Bounds(uint.MinValue, uint.MaxValue),
            _ when type == typeof(ulong) => Bounds(ulong.MinValue, ulong.MaxValue),
            _ when type == typeof(ushort) => Bounds(ushort.MinValue, ushort.MaxValue),
            _ => Bounds(byte.MinValue, byte.MaxValue),
        };
        // decimal holds every 64-bit integer exactly, so one parse covers all integer types and reports overflow plainly.
        if (!decimal.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out decimal number))
        {
            throw new FormatException($"{key}: '{value}' is not a whole number");
        }
        if (number < min || number > max)
        {
            throw new FormatException($"{key}: {value} is out of range ({min} to {max})");
        }
        return type switch
        {
            _ when type == typeof(int) => (int)number,
            _ when type == typeof(long) => (long)number,
            _ when type == typeof(short) => (short)number,
            _ when type == typeof(sbyte) => (sbyte)number,
            _ when type == typeof(uint) => (uint)number,
            _ when type == typeof(ulong) => (ulong)number,
            _ when type == typeof(ushort) => (ushort)number,
            _ => (object)(byte)number,
        };
    }

    private static (decimal Min, decimal Max) Bounds(decimal min, decimal max) => (min, max);

    private static object EnumValue(Type type, string value, string key)
    {
        // Names only: Enum.Parse would also take any number, including ones that name no member.
        foreach (string name in Enum.GetNames(type))
        {
            if (string.Equals(name, value, StringComparison.OrdinalIgnoreCase)) return Enum.Parse(type, name);
        }
        throw new FormatException($"{key}: '{value}' is not one of {string.Join(", ", Enum.GetNames(type))}");
    }
}
