using System.Collections.Generic;

namespace Meshwork.Tars.Idl;

/// <summary>How IDL names become C# names. Wire names (function names, TUP parameter keys) never change.</summary>
internal static class CSharpNames
{
    private static readonly HashSet<string> s_keywords =
    [
        "abstract", "as", "base", "bool", "break", "byte", "case", "catch", "char", "checked", "class", "const", "continue",
        "decimal", "default", "delegate", "do", "double", "else", "enum", "event", "explicit", "extern", "false", "finally",
        "fixed", "float", "for", "foreach", "goto", "if", "implicit", "in", "int", "interface", "internal", "is", "lock",
        "long", "namespace", "new", "null", "object", "operator", "out", "override", "params", "private", "protected",
        "public", "readonly", "ref", "return", "sbyte", "sealed", "short", "sizeof", "stackalloc", "static", "string",
        "struct", "switch", "this", "throw", "true", "try", "typeof", "uint", "ulong", "unchecked", "unsafe", "ushort",
        "using", "virtual", "void", "volatile", "while",
    ];

    // Members every generated struct class has (or inherits); a field of the same name gets a "Value" suffix.
    private static readonly HashSet<string> s_reservedMembers =
    [
        "Equals", "GetHashCode", "ToString", "GetType", "MemberwiseClone", "Finalize", "WriteTo", "ReadFrom", "CompareTo",
        "TarsTypeName",
    ];

    /// <summary>The property for field <paramref name="field"/> of struct <paramref name="owner"/>: PascalCase, never the struct's own name.</summary>
    public static string Property(string field, string owner)
    {
        var name = Pascal(field);
        return name == owner || s_reservedMembers.Contains(name) ? name + "Value" : name;
    }

    /// <summary>The C# method for operation <paramref name="operation"/>: PascalCase plus <c>Async</c>.</summary>
    public static string Method(string operation) => Pascal(operation) + "Async";

    /// <summary>A parameter or local name, escaped with <c>@</c> when it is a C# keyword.</summary>
    public static string Identifier(string name) => s_keywords.Contains(name) ? "@" + name : name;

    /// <summary>A type name: kept as written in the IDL (so it matches the TUP type name), escaped when a keyword.</summary>
    public static string Type(string name) => Identifier(name);

    public static string Pascal(string name)
    {
        if (name.Length == 0 || !char.IsLower(name[0])) return name;
        return char.ToUpperInvariant(name[0]) + name.Substring(1);
    }
}
