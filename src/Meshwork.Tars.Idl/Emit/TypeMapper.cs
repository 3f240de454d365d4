using System.Linq;
using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Emit;

/// <summary>
/// Maps IDL types to C# types and to the <c>Meshwork.Tars</c> codec calls that write and read them. Element
/// writers and readers of containers are static lambdas, so the compiler caches them and nothing is allocated per call.
/// </summary>
internal sealed class TypeMapper(TarsIdlOptions options)
{
    public const string Writer = "global::Meshwork.Tars.TarsWriter";
    public const string Reader = "global::Meshwork.Tars.TarsReader";

    /// <summary>The C# namespace of a module (<c>A::B</c> becomes <c>A.B</c>, after the optional root namespace).</summary>
    public string Namespace(ModuleNode module)
    {
        var name = string.Join(".", module.Segments.Select(CSharpNames.Identifier));
        return string.IsNullOrEmpty(options.RootNamespace) ? name : options.RootNamespace + "." + name;
    }

    public string FullName(DefinitionNode definition) => "global::" + Namespace(definition.Module) + "." + CSharpNames.Type(definition.Name);

    public string CSharpType(TypeNode type) => type.Kind switch
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
        TypeKind.String => "string",
        TypeKind.Vector when type.IsByteVector => "byte[]",
        TypeKind.Vector => "global::System.Collections.Generic.List<" + CSharpType(type.Element!) + ">",
        TypeKind.Map => "global::System.Collections.Generic.Dictionary<" + CSharpType(type.Key!) + ", " + CSharpType(type.Element!) + ">",
        _ => FullName(type.Resolved!),
    };

    /// <summary>True for C# reference types (strings, containers, structs); those are never null in generated objects.</summary>
    public static bool IsReference(TypeNode type) => type.Kind is TypeKind.String or TypeKind.Vector or TypeKind.Map || type.IsStruct;

    /// <summary>The initial value of a field or result: the IDL default, else 0 / false / "" / empty / a new struct.</summary>
    public string InitialValue(TypeNode type, ValueNode? value)
    {
        if (value is not null)
        {
            if (type.Resolved is EnumNode enumNode)
            {
                return value.Enumerator is { } enumerator
                    ? FullName(enumNode) + "." + CSharpNames.Identifier(enumerator.Name)
                    : "(" + FullName(enumNode) + ")(" + Literal.Builtin(TypeKind.Int, value) + ")";
            }
            return Literal.Builtin(type.Kind, value);
        }
        return type.Kind switch
        {
            TypeKind.Bool => "false",
            TypeKind.String => "\"\"",
            TypeKind.Vector when type.IsByteVector => "global::System.Array.Empty<byte>()",
            TypeKind.Vector or TypeKind.Map => "new " + CSharpType(type) + "()",
            TypeKind.Named when type.IsStruct => "new " + CSharpType(type) + "()",
            TypeKind.Named => "default(" + CSharpType(type) + ")",
            _ => "0",
        };
    }

    /// <summary>A statement-free expression that writes <paramref name="value"/> at <paramref name="tag"/>.</summary>
    public string Write(TypeNode type, string writer, string tag, string value, int depth) => type.Kind switch
    {
        TypeKind.Bool => writer + ".WriteBool(" + tag + ", " + value + ")",
        TypeKind.Byte => writer + ".WriteInt8(" + tag + ", " + value + ")",
        TypeKind.UnsignedByte => writer + ".WriteUInt8(" + tag + ", " + value + ")",
        TypeKind.Short => writer + ".WriteInt16(" + tag + ", " + value + ")",
        TypeKind.UnsignedShort => writer + ".WriteUInt16(" + tag + ", " + value + ")",
        TypeKind.Int => writer + ".WriteInt32(" + tag + ", " + value + ")",
        TypeKind.UnsignedInt => writer + ".WriteUInt32(" + tag + ", " + value + ")",
        TypeKind.Long => writer + ".WriteInt64(" + tag + ", " + value + ")",
        TypeKind.Float => writer + ".WriteFloat(" + tag + ", " + value + ")",
        TypeKind.Double => writer + ".WriteDouble(" + tag + ", " + value + ")",
        TypeKind.String => writer + ".WriteString(" + tag + ", " + value + ")",
        TypeKind.Vector when type.IsByteVector => writer + ".WriteBytes(" + tag + ", " + value + ")",
        TypeKind.Vector => writer + ".WriteList(" + tag + ", " + value + ", " + WriterLambda(type.Element!, depth) + ")",
        TypeKind.Map when type.Key!.Kind == TypeKind.String && type.Element!.Kind == TypeKind.String => writer + ".WriteStringMap(" + tag + ", " + value + ")",
        TypeKind.Map => writer + ".WriteMap(" + tag + ", " + value + ", " + WriterLambda(type.Key!, depth) + ", " + WriterLambda(type.Element!, depth) + ")",
        _ when type.IsEnum => writer + ".WriteInt32(" + tag + ", (int)" + value + ")",
        _ => writer + ".WriteStruct(" + tag + ", " + value + ")",
    };

    /// <summary>An expression that reads the value at <paramref name="tag"/>, or returns <paramref name="fallback"/> when absent and optional.</summary>
    public string Read(TypeNode type, string reader, string tag, bool required, string fallback, int depth)
    {
        var req = required ? "true" : "false";
        return type.Kind switch
        {
            TypeKind.Bool => reader + ".ReadBool(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.Byte => reader + ".ReadInt8(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.UnsignedByte => reader + ".ReadUInt8(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.Short => reader + ".ReadInt16(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.UnsignedShort => reader + ".ReadUInt16(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.Int => reader + ".ReadInt32(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.UnsignedInt => reader + ".ReadUInt32(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.Long => reader + ".ReadInt64(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.Float => reader + ".ReadFloat(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.Double => reader + ".ReadDouble(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.String => reader + ".ReadString(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.Vector when type.IsByteVector => reader + ".ReadBytes(" + tag + ", " + req + ", " + fallback + ")",
            TypeKind.Vector => reader + ".ReadList(" + tag + ", " + req + ", " + ReaderLambda(type.Element!, depth) + ", " + fallback + ")",
            TypeKind.Map => reader + ".ReadMap(" + tag + ", " + req + ", " + ReaderLambda(type.Key!, depth) + ", " + ReaderLambda(type.Element!, depth) + ", " + fallback + ")",
            _ when type.IsEnum => "(" + CSharpType(type) + ")" + reader + ".ReadInt32(" + tag + ", " + req + ", (int)" + fallback + ")",
            _ => reader + ".ReadStruct<" + CSharpType(type) + ">(" + tag + ", " + req + ", " + fallback + ")",
        };
    }

    public string WriterLambda(TypeNode element, int depth)
    {
        var w = "w" + depth;
        var t = "t" + depth;
        var v = "v" + depth;
        return "static (ref " + Writer + " " + w + ", int " + t + ", " + CSharpType(element) + " " + v + ") => " + Write(element, w, t, v, depth + 1);
    }

    public string ReaderLambda(TypeNode element, int depth)
    {
        var r = "r" + depth;
        var t = "t" + depth;
        // Elements are read as required, so the fallback is never used: pass one that allocates nothing.
        var fallback = IsReference(element) && element.Kind != TypeKind.String ? "null!" : element.IsEnum ? "default(" + CSharpType(element) + ")" : InitialValue(element, null);
        return "static (ref " + Reader + " " + r + ", int " + t + ") => " + Read(element, r, t, true, fallback, depth + 1);
    }

    /// <summary>The TUP version-2 type name of a value (what Java and Node put in the inner map).</summary>
    public static string TupTypeName(TypeNode type) => type.Kind switch
    {
        TypeKind.Bool => "bool",
        TypeKind.Byte => "char",
        TypeKind.UnsignedByte or TypeKind.Short => "short",
        TypeKind.UnsignedShort or TypeKind.Int => "int32",
        TypeKind.UnsignedInt or TypeKind.Long => "int64",
        TypeKind.Float => "float",
        TypeKind.Double => "double",
        TypeKind.String => "string",
        TypeKind.Vector when type.IsByteVector => "list<char>",
        TypeKind.Vector => "list<" + TupTypeName(type.Element!) + ">",
        TypeKind.Map => "map<" + TupTypeName(type.Key!) + "," + TupTypeName(type.Element!) + ">",
        _ when type.IsEnum => "int32",
        _ => StructEmitter.TypeName((StructNode)type.Resolved!),
    };
}
