using System.Collections.Generic;

namespace Meshwork.Tars.Idl.Syntax;

/// <summary>One parsed <c>.tars</c> file.</summary>
internal sealed class IdlFile
{
    public IdlFile(string path) => Path = path;

    public string Path { get; }

    public List<IncludeDirective> Includes { get; } = [];

    public List<ModuleNode> Modules { get; } = [];
}

internal sealed record IncludeDirective(string Path, SourceSpan Span);

/// <summary>A <c>module</c> block; modules may nest (an extension over the C++ compiler, which TarsGo and TarsJava also accept).</summary>
internal sealed class ModuleNode
{
    public ModuleNode(string name, SourceSpan span, ModuleNode? parent, IdlFile file)
    {
        Name = name;
        Span = span;
        Parent = parent;
        File = file;
        Segments = parent is null ? [name] : [.. parent.Segments, name];
    }

    public string Name { get; }

    public SourceSpan Span { get; }

    public ModuleNode? Parent { get; }

    public IdlFile File { get; }

    /// <summary>The module path from the outermost module, for example <c>["A", "B"]</c> for <c>A::B</c>.</summary>
    public string[] Segments { get; }

    public string FullName => string.Join("::", Segments);

    public List<DefinitionNode> Definitions { get; } = [];

    public List<ModuleNode> Modules { get; } = [];

    public List<KeyNode> Keys { get; } = [];
}

/// <summary>A named definition inside a module: struct, enum, const or interface.</summary>
internal abstract class DefinitionNode
{
    protected DefinitionNode(string name, SourceSpan span, ModuleNode module)
    {
        Name = name;
        Span = span;
        Module = module;
    }

    public string Name { get; }

    public SourceSpan Span { get; }

    public ModuleNode Module { get; }

    public string FullName => Module.FullName + "::" + Name;

    /// <summary>The kind as it reads in an error message.</summary>
    public abstract string KindName { get; }
}

internal sealed class StructNode(string name, SourceSpan span, ModuleNode module) : DefinitionNode(name, span, module)
{
    public override string KindName => "struct";

    public List<FieldNode> Fields { get; } = [];

    /// <summary>The fields named by a <c>key[...]</c> for this struct, in order; set by the binder.</summary>
    public List<FieldNode>? KeyFields { get; set; }
}

internal sealed class FieldNode(int tag, SourceSpan tagSpan, bool isRequired, TypeNode type, string name, SourceSpan span, ValueNode? defaultValue)
{
    public int Tag { get; } = tag;

    public SourceSpan TagSpan { get; } = tagSpan;

    public bool IsRequired { get; } = isRequired;

    public TypeNode Type { get; } = type;

    public string Name { get; } = name;

    public SourceSpan Span { get; } = span;

    public ValueNode? Default { get; } = defaultValue;
}

internal sealed class EnumNode(string name, SourceSpan span, ModuleNode module) : DefinitionNode(name, span, module)
{
    public override string KindName => "enum";

    public List<EnumeratorNode> Members { get; } = [];
}

internal sealed class EnumeratorNode(string name, SourceSpan span, ValueNode? explicitValue)
{
    public string Name { get; } = name;

    public SourceSpan Span { get; } = span;

    public ValueNode? ExplicitValue { get; } = explicitValue;

    /// <summary>The value after C rules (first 0, then previous + 1); set by the binder.</summary>
    public long Value { get; set; }
}

internal sealed class ConstNode(string name, SourceSpan span, ModuleNode module, TypeNode type, ValueNode value) : DefinitionNode(name, span, module)
{
    public override string KindName => "const";

    public TypeNode Type { get; } = type;

    public ValueNode Value { get; } = value;
}

internal sealed class InterfaceNode(string name, SourceSpan span, ModuleNode module) : DefinitionNode(name, span, module)
{
    public override string KindName => "interface";

    public List<OperationNode> Operations { get; } = [];
}

internal sealed class OperationNode(TypeNode? returnType, string name, SourceSpan span)
{
    /// <summary>The result type, or <see langword="null"/> for <c>void</c>.</summary>
    public TypeNode? ReturnType { get; } = returnType;

    public string Name { get; } = name;

    public SourceSpan Span { get; } = span;

    public List<ParameterNode> Parameters { get; } = [];
}

internal sealed class ParameterNode(bool isOut, bool isRouteKey, TypeNode type, string name, SourceSpan span)
{
    public bool IsOut { get; } = isOut;

    public bool IsRouteKey { get; } = isRouteKey;

    public TypeNode Type { get; } = type;

    public string Name { get; } = name;

    public SourceSpan Span { get; } = span;

    /// <summary>The 1-based position among all parameters (in and out): the parameter's tag in a version-1 call.</summary>
    public int Tag { get; set; }
}

/// <summary><c>key[Struct, field, ...]</c>: an ordering over the named fields.</summary>
internal sealed class KeyNode(string structName, SourceSpan span, List<(string Name, SourceSpan Span)> fields)
{
    public string StructName { get; } = structName;

    public SourceSpan Span { get; } = span;

    public List<(string Name, SourceSpan Span)> Fields { get; } = fields;
}

internal enum TypeKind
{
    Bool,
    Byte,
    UnsignedByte,
    Short,
    UnsignedShort,
    Int,
    UnsignedInt,
    Long,
    Float,
    Double,
    String,
    Vector,
    Map,
    Named,
}

/// <summary>A type as written; named types are resolved to their struct or enum by the binder.</summary>
internal sealed class TypeNode
{
    private TypeNode(TypeKind kind, SourceSpan span)
    {
        Kind = kind;
        Span = span;
    }

    public TypeKind Kind { get; }

    public SourceSpan Span { get; }

    /// <summary>The element type of a vector, the value type of a map.</summary>
    public TypeNode? Element { get; private init; }

    /// <summary>The key type of a map.</summary>
    public TypeNode? Key { get; private init; }

    /// <summary>The name of a named type as written (<c>Name</c> or <c>A::B::Name</c>).</summary>
    public string? Name { get; private init; }

    /// <summary>The struct or enum a named type refers to; set by the binder.</summary>
    public DefinitionNode? Resolved { get; set; }

    public bool IsBuiltin => Kind < TypeKind.Vector;

    public bool IsEnum => Resolved is EnumNode;

    public bool IsStruct => Resolved is StructNode;

    public bool IsByteVector => Kind == TypeKind.Vector && Element!.Kind == TypeKind.Byte;

    public static TypeNode Builtin(TypeKind kind, SourceSpan span) => new(kind, span);

    public static TypeNode Vector(TypeNode element, SourceSpan span) => new(TypeKind.Vector, span) { Element = element };

    public static TypeNode Map(TypeNode key, TypeNode value, SourceSpan span) => new(TypeKind.Map, span) { Key = key, Element = value };

    public static TypeNode Named(string name, SourceSpan span) => new(TypeKind.Named, span) { Name = name };

    /// <summary>The type as IDL text, for messages.</summary>
    public override string ToString() => Kind switch
    {
        TypeKind.Bool => "bool",
        TypeKind.Byte => "byte",
        TypeKind.UnsignedByte => "unsigned byte",
        TypeKind.Short => "short",
        TypeKind.UnsignedShort => "unsigned short",
        TypeKind.Int => "int",
        TypeKind.UnsignedInt => "unsigned int",
        TypeKind.Long => "long",
        TypeKind.Float => "float",
        TypeKind.Double => "double",
        TypeKind.String => "string",
        TypeKind.Vector => "vector<" + Element + ">",
        TypeKind.Map => "map<" + Key + ", " + Element + ">",
        _ => Name!,
    };
}

internal enum ValueKind
{
    Integer,
    Float,
    String,
    Bool,
    Name,
}

/// <summary>A literal or name used as a default or constant value.</summary>
internal sealed class ValueNode(ValueKind kind, string text, SourceSpan span)
{
    public ValueKind Kind { get; } = kind;

    /// <summary>The literal as written (with its sign), the unescaped string, <c>true</c>/<c>false</c>, or the name.</summary>
    public string Text { get; } = text;

    public SourceSpan Span { get; } = span;

    /// <summary>The enumerator a name refers to; set by the binder.</summary>
    public EnumeratorNode? Enumerator { get; set; }
}
