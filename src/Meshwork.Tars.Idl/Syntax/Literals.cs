using System.Globalization;

namespace Meshwork.Tars.Idl.Syntax;

/// <summary>Reads integer and floating-point literals as the TARS grammar writes them (C rules).</summary>
internal static class Literals
{
    /// <summary>Reads a decimal, octal (leading 0) or hex (0x) integer with an optional sign; false when malformed or outside long.</summary>
    public static bool TryParseInteger(string text, out long value)
    {
        value = 0;
        var negative = false;
        var i = 0;
        if (text.Length > 0 && (text[0] == '-' || text[0] == '+'))
        {
            negative = text[0] == '-';
            i = 1;
        }
        if (i >= text.Length) return false;
        var radix = 10;
        if (text.Length - i > 2 && text[i] == '0' && (text[i + 1] == 'x' || text[i + 1] == 'X'))
        {
            radix = 16;
            i += 2;
        }
        else if (text.Length - i > 1 && text[i] == '0')
        {
            radix = 8;
            i += 1;
        }
        ulong magnitude = 0;
        for (; i < text.Length; i++)
        {
            var digit = Digit(text[i]);
            if (digit < 0 || digit >= radix) return false;
            if (magnitude > (ulong.MaxValue - (ulong)digit) / (ulong)radix) return false;
            magnitude = (magnitude * (ulong)radix) + (ulong)digit;
        }
        if (negative)
        {
            if (magnitude > 9223372036854775808UL) return false;
            value = magnitude == 9223372036854775808UL ? long.MinValue : -(long)magnitude;
            return true;
        }
        if (magnitude > long.MaxValue) return false;
        value = (long)magnitude;
        return true;
    }

    /// <summary>Reads a C-style floating-point literal (optional exponent and f suffix); integers are accepted too.</summary>
    public static bool TryParseFloat(string text, out double value)
    {
        var trimmed = text.EndsWith("f", System.StringComparison.OrdinalIgnoreCase) && !text.StartsWith("0x", System.StringComparison.OrdinalIgnoreCase)
            ? text.Substring(0, text.Length - 1)
            : text;
        if (TryParseInteger(trimmed, out var integer) && !trimmed.Contains(".") && trimmed.IndexOfAny(['e', 'E']) < 0)
        {
            value = integer;
            return true;
        }
        return double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && !double.IsInfinity(value) && !double.IsNaN(value);
    }

    private static int Digit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= 'a' and <= 'f' => c - 'a' + 10,
        >= 'A' and <= 'F' => c - 'A' + 10,
        _ => -1,
    };
}
