using System.Globalization;
using System.Linq;
using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Emit;

/// <summary>Emits enums (as <c>enum : int</c>, since enums travel as int) and a module's constants (as <c>const</c> fields).</summary>
internal static class EnumConstEmitter
{
    public static void EmitEnum(CodeWriter w, EnumNode node)
    {
        w.Summary("TARS enum <c>" + Literal.Xml(node.FullName) + "</c> (travels as an int).");
        w.Line(CSharpEmitter.GeneratedCodeAttribute);
        w.Line("public enum " + CSharpNames.Type(node.Name) + " : int");
        w.Open();
        foreach (var member in node.Members)
        {
            var value = member.Value.ToString(CultureInfo.InvariantCulture);
            w.Summary("<c>" + Literal.Xml(member.Name) + "</c> = " + value + ".");
            w.Line(CSharpNames.Identifier(member.Name) + " = " + (member.Value == int.MinValue ? "int.MinValue" : value) + ",");
        }
        w.Close();
    }

    /// <summary>The class that holds a module's constants: the last module name plus <c>Constants</c>.</summary>
    public static string ClassName(ModuleNode module) => CSharpNames.Pascal(module.Name) + "Constants";

    public static void EmitConstants(CodeWriter w, ModuleNode module)
    {
        var constants = module.Definitions.OfType<ConstNode>().ToList();
        w.Summary("The constants of TARS module <c>" + Literal.Xml(module.FullName) + "</c>.");
        w.Line(CSharpEmitter.GeneratedCodeAttribute);
        w.Line("public static partial class " + ClassName(module));
        w.Open();
        var first = true;
        foreach (var constant in constants)
        {
            if (!first) w.Line();
            first = false;
            w.Summary("<c>const " + Literal.Xml(constant.Type + " " + constant.Name + " = " + (constant.Value.Kind == ValueKind.String ? "\"" + constant.Value.Text + "\"" : constant.Value.Text)) + "</c>.");
            var csharpType = constant.Type.Kind switch
            {
                TypeKind.Bool => "bool",
                TypeKind.Byte => "sbyte",
                TypeKind.UnsignedByte => "byte",
                TypeKind.Short => "short",
                TypeKind.UnsignedShort => "ushort",
                TypeKind.Int => "int",
                TypeKind.UnsignedInt => "uint",
                TypeKind.Long => "long",
                TypeKind.Float => "float",
                TypeKind.Double => "double",
                _ => "string",
            };
            w.Line("public const " + csharpType + " " + CSharpNames.Identifier(constant.Name) + " = " + Literal.Builtin(constant.Type.Kind, constant.Value) + ";");
        }
        w.Close();
    }
}
