using System.Globalization;
using System.Text;
using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Emit;

/// <summary>C# literals and XML-doc text for IDL values.</summary>
internal static class Literal
{
    public static string String(string value)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < ' ' || c == '\u007f' || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u0085')
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>The C# literal for a checked value of a builtin type.</summary>
    public static string Builtin(TypeKind kind, ValueNode value)
    {
        switch (kind)
        {
            case TypeKind.Bool:
                return value.Text;
            case TypeKind.String:
                return String(value.Text);
            case TypeKind.Float:
            case TypeKind.Double:
            {
                Literals.TryParseFloat(value.Text, out var d);
                if (kind == TypeKind.Float) return ((float)d).ToString("R", CultureInfo.InvariantCulture) + "F";
                var text = d.ToString("R", CultureInfo.InvariantCulture);
                return text + "D";
            }
            default:
            {
                Literals.TryParseInteger(value.Text, out var v);
                var text = v.ToString(CultureInfo.InvariantCulture);
                return kind switch
                {
                    TypeKind.Long => v == long.MinValue ? "long.MinValue" : text + "L",
                    TypeKind.UnsignedInt => text + "U",
                    TypeKind.Int when v == int.MinValue => "int.MinValue",
                    _ => text,
                };
            }
        }
    }

    /// <summary>Escapes text for XML documentation.</summary>
    public static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
}
