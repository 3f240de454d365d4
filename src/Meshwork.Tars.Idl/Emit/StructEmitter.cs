using System.Linq;
using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Emit;

/// <summary>
/// Emits a struct as a sealed partial class implementing <c>ITarsStruct&lt;T&gt;</c>: one property per field (initialised
/// to the IDL default), <c>WriteTo</c> (fields in ascending tag order; optional fields omitted like the C++ compiler
/// does) and <c>ReadFrom</c> (required fields must be present, optional ones keep their defaults).
/// </summary>
internal static class StructEmitter
{
    public static void Emit(CodeWriter w, StructNode node, TypeMapper types)
    {
        var name = CSharpNames.Type(node.Name);
        var self = types.FullName(node);
        var fields = node.Fields.OrderBy(f => f.Tag).ToList();
        w.Summary("TARS struct <c>" + Literal.Xml(node.FullName) + "</c>.");
        w.Line("/// <remarks>");
        w.Line("/// Encoded with the Tars binary codec: fields in ascending tag order; a <c>require</c> field must be present when");
        w.Line("/// read, an absent <c>optional</c> field keeps its default. Every property starts at its IDL default and is never null.");
        if (node.KeyFields is not null)
        {
            w.Line("/// Declared <c>key[" + Literal.Xml(node.Name + ", " + string.Join(", ", node.KeyFields.Select(f => f.Name))) + "]</c>: equality, hash code and");
            w.Line("/// ordering use those fields only (so an instance can be a map key; do not change them while it is one).");
        }
        w.Line("/// </remarks>");
        w.Line(CSharpEmitter.GeneratedCodeAttribute);
        var interfaces = "global::Meshwork.Tars.ITarsStruct<" + self + ">";
        if (node.KeyFields is not null) interfaces += ", global::System.IEquatable<" + self + ">, global::System.IComparable<" + self + ">";
        w.Line("public sealed partial class " + name + " : " + interfaces);
        w.Open();
        foreach (var field in fields)
        {
            var defaultText = field.Default is null ? "" : ", default " + Literal.Xml(field.Default.Kind == ValueKind.String ? "\"" + field.Default.Text + "\"" : field.Default.Text);
            w.Summary("Field <c>" + Literal.Xml(field.Name) + "</c> (tag " + field.Tag + ", " + (field.IsRequired ? "require" : "optional") + ", <c>"
                + Literal.Xml(field.Type.ToString()) + "</c>" + defaultText + ").");
            var initial = types.InitialValue(field.Type, field.Default);
            var isZero = initial is "0" or "false" || initial.StartsWith("default(", System.StringComparison.Ordinal);
            w.Line("public " + types.CSharpType(field.Type) + " " + Property(field, node) + " { get; set; }" + (isZero ? "" : " = " + initial + ";"));
            w.Line();
        }
        w.Summary("The TUP type name, <c>" + Literal.Xml(TypeName(node)) + "</c>.");
        w.Line("public static string TarsTypeName => " + Literal.String(TypeName(node)) + ";");
        w.Line();
        EmitWrite(w, node, fields, types);
        w.Line();
        EmitRead(w, node, fields, types);
        if (node.KeyFields is not null) EmitKey(w, node, types);
        w.Close();
    }

    /// <summary>The TUP (version 2) type name: the module path and the struct name, joined by dots.</summary>
    public static string TypeName(StructNode node) => string.Join(".", node.Module.Segments) + "." + node.Name;

    private static string Property(FieldNode field, StructNode owner) => CSharpNames.Property(field.Name, owner.Name);

    private static void EmitWrite(CodeWriter w, StructNode node, System.Collections.Generic.List<FieldNode> fields, TypeMapper types)
    {
        w.Summary("Writes the fields (without the struct's begin and end markers).");
        w.Line("/// <param name=\"writer\">Where to write.</param>");
        w.Line("public void WriteTo(ref " + TypeMapper.Writer + " writer)");
        w.Open();
        foreach (var field in fields)
        {
            var property = "this." + Property(field, node);
            var write = types.Write(field.Type, "writer", field.Tag.ToString(System.Globalization.CultureInfo.InvariantCulture), property, 0) + ";";
            var condition = field.IsRequired ? null : OmitCondition(field, property, types);
            w.Line(condition is null ? write : "if (" + condition + ") " + write);
        }
        w.Close();
    }

    /// <summary>
    /// When an optional field is written (the C++ compiler's rule, which gives the smallest output): a scalar, enum or
    /// string with an IDL default only when it differs from it; a container only when non-empty; everything else always.
    /// </summary>
    private static string? OmitCondition(FieldNode field, string property, TypeMapper types)
    {
        var type = field.Type;
        if (type.Kind == TypeKind.Vector && type.IsByteVector) return property + " is { Length: > 0 }";
        if (type.Kind is TypeKind.Vector or TypeKind.Map) return property + " is { Count: > 0 }";
        if (field.Default is null || type.Kind == TypeKind.Bool || type.IsStruct) return null;
        var initial = types.InitialValue(type, field.Default);
        if (type.Kind == TypeKind.String) return "!string.Equals(" + property + ", " + initial + ", global::System.StringComparison.Ordinal)";
        // Floats compare bitwise so that -0.0 and NaN are written like any value that differs from the default.
        if (type.Kind == TypeKind.Float) return "global::System.BitConverter.SingleToInt32Bits(" + property + ") != global::System.BitConverter.SingleToInt32Bits(" + initial + ")";
        if (type.Kind == TypeKind.Double) return "global::System.BitConverter.DoubleToInt64Bits(" + property + ") != global::System.BitConverter.DoubleToInt64Bits(" + initial + ")";
        return property + " != " + initial;
    }

    private static void EmitRead(CodeWriter w, StructNode node, System.Collections.Generic.List<FieldNode> fields, TypeMapper types)
    {
        var self = types.FullName(node);
        w.Summary("Reads the fields of one <see cref=\"" + CSharpNames.Type(node.Name) + "\"/> (the reader stays before the struct's end marker).");
        w.Line("/// <param name=\"reader\">The reader, positioned at the first field.</param>");
        w.Line("/// <returns>The value; absent optional fields keep their defaults.</returns>");
        w.Line("/// <exception cref=\"global::Meshwork.Tars.TarsDecodeException\">A required field is missing or a field has the wrong wire type.</exception>");
        w.Line("public static " + self + " ReadFrom(ref " + TypeMapper.Reader + " reader)");
        w.Open();
        w.Line("var value = new " + self + "();");
        foreach (var field in fields)
        {
            var property = "value." + Property(field, node);
            w.Line(property + " = " + types.Read(field.Type, "reader", field.Tag.ToString(System.Globalization.CultureInfo.InvariantCulture), field.IsRequired, property, 0) + ";");
        }
        w.Line("return value;");
        w.Close();
    }

    private static void EmitKey(CodeWriter w, StructNode node, TypeMapper types)
    {
        var self = types.FullName(node);
        var keys = node.KeyFields!;
        w.Line();
        w.Summary("Compares the key fields (" + Literal.Xml(string.Join(", ", keys.Select(k => k.Name))) + ").");
        w.Line("/// <param name=\"other\">The other value.</param>");
        w.Line("/// <returns>True when every key field is equal.</returns>");
        w.Line("public bool Equals(" + self + "? other)");
        w.Open();
        w.Line("if (other is null) return false;");
        w.Line("return " + string.Join(" && ", keys.Select(k => EqualityOf(k, node))) + ";");
        w.Close();
        w.Line();
        w.Line("/// <inheritdoc/>");
        w.Line("public override bool Equals(object? obj) => obj is " + self + " other && this.Equals(other);");
        w.Line();
        w.Summary("Hashes the key fields.");
        w.Line("/// <returns>A hash of the key fields.</returns>");
        w.Line("public override int GetHashCode()");
        w.Open();
        w.Line("var hash = new global::System.HashCode();");
        foreach (var key in keys)
        {
            var property = "this." + Property(key, node);
            w.Line(key.Type.Kind == TypeKind.String ? "hash.Add(" + property + ", global::System.StringComparer.Ordinal);" : "hash.Add(" + property + ");");
        }
        w.Line("return hash.ToHashCode();");
        w.Close();
        w.Line();
        w.Summary("Orders by the key fields, in the order the <c>key[...]</c> lists them (strings ordinally).");
        w.Line("/// <param name=\"other\">The other value; null sorts first.</param>");
        w.Line("/// <returns>Negative, zero or positive as this value sorts before, with or after <paramref name=\"other\"/>.</returns>");
        w.Line("public int CompareTo(" + self + "? other)");
        w.Open();
        w.Line("if (other is null) return 1;");
        w.Line("int c;");
        foreach (var key in keys)
        {
            var a = "this." + Property(key, node);
            var b = "other." + Property(key, node);
            var compare = key.Type.Kind switch
            {
                TypeKind.String => "string.CompareOrdinal(" + a + ", " + b + ")",
                TypeKind.Named => "((int)" + a + ").CompareTo((int)" + b + ")",
                _ => a + ".CompareTo(" + b + ")",
            };
            w.Line("if ((c = " + compare + ") != 0) return c;");
        }
        w.Line("return 0;");
        w.Close();
    }

    private static string EqualityOf(FieldNode key, StructNode node)
    {
        var property = Property(key, node);
        return key.Type.Kind switch
        {
            TypeKind.String => "string.Equals(this." + property + ", other." + property + ", global::System.StringComparison.Ordinal)",
            TypeKind.Float or TypeKind.Double => "this." + property + ".Equals(other." + property + ")",
            _ => "this." + property + " == other." + property,
        };
    }
}
