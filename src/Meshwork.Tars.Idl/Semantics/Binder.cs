using System.Collections.Generic;
using System.Linq;
using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Semantics;

/// <summary>
/// Checks the parsed files as a whole: names are unique, types resolve, tags are in range and unique, values fit their
/// types, keys name real fields, and nothing would become an uncompilable C# name.
/// </summary>
internal sealed class Binder
{
    private readonly DiagnosticBag _diagnostics;
    private readonly Dictionary<string, DefinitionNode> _definitions = new(System.StringComparer.Ordinal);
    private readonly HashSet<string> _modules = new(System.StringComparer.Ordinal);

    public Binder(DiagnosticBag diagnostics) => _diagnostics = diagnostics;

    public void Bind(IReadOnlyList<IdlFile> files)
    {
        var modules = files.SelectMany(f => f.Modules).SelectMany(Flatten).ToList();
        foreach (var module in modules) _modules.Add(module.FullName);
        foreach (var module in modules) Declare(module);
        foreach (var module in modules)
        {
            foreach (var definition in module.Definitions)
            {
                switch (definition)
                {
                    case StructNode s: BindStruct(s); break;
                    case EnumNode e: BindEnum(e); break;
                    case ConstNode c: BindConst(c); break;
                    case InterfaceNode i: BindInterface(i); break;
                }
            }
        }
        foreach (var module in modules)
        {
            foreach (var key in module.Keys) BindKey(module, key);
        }
        foreach (var module in modules)
        {
            foreach (var s in module.Definitions.OfType<StructNode>()) CheckMapKeys(s);
        }
        CheckSelfContainment(modules.SelectMany(m => m.Definitions.OfType<StructNode>()));
    }

    private static IEnumerable<ModuleNode> Flatten(ModuleNode module) => new[] { module }.Concat(module.Modules.SelectMany(Flatten));

    private void Declare(ModuleNode module)
    {
        foreach (var definition in module.Definitions)
        {
            if (_modules.Contains(definition.FullName))
            {
                _diagnostics.Add(TarsIdlErrorCode.NameCollision, definition.KindName + " '" + definition.FullName + "' has the name of a module; C# cannot have a type and a namespace of the same name.", definition.Span);
                continue;
            }
            if (_definitions.TryGetValue(definition.FullName, out var existing))
            {
                _diagnostics.Add(TarsIdlErrorCode.DuplicateName,
                    "'" + definition.FullName + "' is already declared as a " + existing.KindName + " at " + Where(existing.Span) + ".", definition.Span);
                continue;
            }
            _definitions[definition.FullName] = definition;
        }
    }

    private void BindStruct(StructNode node)
    {
        var tags = new Dictionary<int, FieldNode>();
        var names = new Dictionary<string, FieldNode>(System.StringComparer.Ordinal);
        var csharpNames = new Dictionary<string, FieldNode>(System.StringComparer.Ordinal);
        foreach (var field in node.Fields)
        {
            if (field.Tag is < 0 or > 255)
            {
                _diagnostics.Add(TarsIdlErrorCode.TagOutOfRange, "Tag of field '" + field.Name + "' is out of range: tags are 0..255.", field.TagSpan);
            }
            else if (tags.TryGetValue(field.Tag, out var other))
            {
                _diagnostics.Add(TarsIdlErrorCode.DuplicateTag,
                    "Tag " + field.Tag + " of field '" + field.Name + "' is already used by field '" + other.Name + "' in struct '" + node.Name + "'.", field.TagSpan);
            }
            else
            {
                tags[field.Tag] = field;
            }
            if (names.TryGetValue(field.Name, out var sameName))
            {
                _diagnostics.Add(TarsIdlErrorCode.DuplicateName, "Struct '" + node.Name + "' already has a field named '" + field.Name + "' (tag " + sameName.Tag + ").", field.Span);
            }
            else
            {
                names[field.Name] = field;
                var csharp = CSharpNames.Property(field.Name, node.Name);
                if (csharpNames.TryGetValue(csharp, out var clash))
                    _diagnostics.Add(TarsIdlErrorCode.NameCollision, "Fields '" + clash.Name + "' and '" + field.Name + "' would both become the C# property '" + csharp + "'.", field.Span);
                else csharpNames[csharp] = field;
            }
            if (!ResolveType(field.Type, node.Module)) continue;
            if (field.Default is not null) CheckValue(field.Type, field.Default, "field '" + field.Name + "'");
        }
    }

    private void BindEnum(EnumNode node)
    {
        var names = new Dictionary<string, EnumeratorNode>(System.StringComparer.Ordinal);
        long next = 0;
        foreach (var member in node.Members)
        {
            if (names.ContainsKey(member.Name))
            {
                _diagnostics.Add(TarsIdlErrorCode.DuplicateName, "Enum '" + node.Name + "' already has an enumerator named '" + member.Name + "'.", member.Span);
                continue;
            }
            var value = next;
            if (member.ExplicitValue is { } explicitValue)
            {
                if (explicitValue.Kind == ValueKind.Integer)
                {
                    if (!Literals.TryParseInteger(explicitValue.Text, out value) || value is < int.MinValue or > int.MaxValue)
                    {
                        _diagnostics.Add(TarsIdlErrorCode.BadValue, "Enumerator '" + member.Name + "' = " + explicitValue.Text + " does not fit an int (enums travel as int).", explicitValue.Span);
                        value = next;
                    }
                }
                else if (explicitValue.Kind == ValueKind.Name && names.TryGetValue(explicitValue.Text, out var earlier))
                {
                    value = earlier.Value;
                }
                else
                {
                    _diagnostics.Add(TarsIdlErrorCode.BadValue,
                        "Enumerator '" + member.Name + "' must be given an integer or the name of an earlier enumerator of '" + node.Name + "', not " + explicitValue.Text + ".", explicitValue.Span);
                }
            }
            else if (value > int.MaxValue)
            {
                _diagnostics.Add(TarsIdlErrorCode.BadValue, "Enumerator '" + member.Name + "' would be " + value + ", which does not fit an int.", member.Span);
            }
            member.Value = value;
            names[member.Name] = member;
            next = value + 1;
        }
    }

    private void BindConst(ConstNode node)
    {
        if (!ResolveType(node.Type, node.Module)) return;
        if (!node.Type.IsBuiltin)
        {
            _diagnostics.Add(TarsIdlErrorCode.InvalidTypeUse, "Constant '" + node.Name + "' has type " + node.Type + "; constants must have a builtin type (bool, integers, float, double, string).", node.Type.Span);
            return;
        }
        CheckValue(node.Type, node.Value, "constant '" + node.Name + "'");
    }

    private void BindInterface(InterfaceNode node)
    {
        var operations = new Dictionary<string, OperationNode>(System.StringComparer.Ordinal);
        var csharpNames = new Dictionary<string, OperationNode>(System.StringComparer.Ordinal);
        foreach (var operation in node.Operations)
        {
            if (operations.ContainsKey(operation.Name))
            {
                _diagnostics.Add(TarsIdlErrorCode.DuplicateName, "Interface '" + node.Name + "' already has an operation named '" + operation.Name + "' (TARS has no overloading).", operation.Span);
            }
            else
            {
                operations[operation.Name] = operation;
                var csharp = CSharpNames.Method(operation.Name);
                if (csharpNames.TryGetValue(csharp, out var clash))
                    _diagnostics.Add(TarsIdlErrorCode.NameCollision, "Operations '" + clash.Name + "' and '" + operation.Name + "' would both become the C# method '" + csharp + "'.", operation.Span);
                else csharpNames[csharp] = operation;
            }
            if (operation.ReturnType is not null) ResolveType(operation.ReturnType, node.Module);
            if (operation.Parameters.Count > 255)
                _diagnostics.Add(TarsIdlErrorCode.LimitExceeded, "Operation '" + operation.Name + "' has " + operation.Parameters.Count + " parameters; at most 255 fit the tags of a call.", operation.Span);
            var parameterNames = new HashSet<string>(System.StringComparer.Ordinal);
            var routeKeys = 0;
            for (var i = 0; i < operation.Parameters.Count; i++)
            {
                var parameter = operation.Parameters[i];
                parameter.Tag = i + 1;
                if (!parameterNames.Add(parameter.Name))
                    _diagnostics.Add(TarsIdlErrorCode.DuplicateName, "Operation '" + operation.Name + "' already has a parameter named '" + parameter.Name + "'.", parameter.Span);
                if (parameter.IsRouteKey && parameter.IsOut)
                    _diagnostics.Add(TarsIdlErrorCode.InvalidTypeUse, "Parameter '" + parameter.Name + "' cannot be both 'out' and 'routekey': the route key is sent by the caller.", parameter.Span);
                if (parameter.IsRouteKey && ++routeKeys == 2)
                    _diagnostics.Add(TarsIdlErrorCode.InvalidTypeUse, "Operation '" + operation.Name + "' marks more than one parameter as 'routekey'.", parameter.Span);
                ResolveType(parameter.Type, node.Module);
            }
        }
    }

    private void BindKey(ModuleNode module, KeyNode key)
    {
        var target = Lookup(key.StructName, module);
        if (target is not StructNode structNode)
        {
            _diagnostics.Add(TarsIdlErrorCode.InvalidKey,
                target is null ? "key[" + key.StructName + ", ...] names no struct: '" + key.StructName + "' is not declared." : "key[" + key.StructName + ", ...] must name a struct, but '" + key.StructName + "' is a " + target.KindName + ".", key.Span);
            return;
        }
        if (structNode.KeyFields is not null)
        {
            _diagnostics.Add(TarsIdlErrorCode.InvalidKey, "Struct '" + structNode.Name + "' already has a key[...].", key.Span);
            return;
        }
        var fields = new List<FieldNode>();
        foreach (var (name, span) in key.Fields)
        {
            var field = structNode.Fields.FirstOrDefault(f => f.Name == name);
            if (field is null)
            {
                _diagnostics.Add(TarsIdlErrorCode.InvalidKey, "key[" + key.StructName + ", ...] names '" + name + "', which is not a field of struct '" + structNode.Name + "'.", span);
                return;
            }
            if (fields.Contains(field))
            {
                _diagnostics.Add(TarsIdlErrorCode.InvalidKey, "key[" + key.StructName + ", ...] names field '" + name + "' twice.", span);
                return;
            }
            if (!(field.Type.IsBuiltin || field.Type.IsEnum))
            {
                _diagnostics.Add(TarsIdlErrorCode.InvalidKey, "Key field '" + name + "' has type " + field.Type + "; key fields must be builtin or enum types so that they can be compared.", span);
                return;
            }
            fields.Add(field);
        }
        structNode.KeyFields = fields;
    }

    private void CheckMapKeys(StructNode node)
    {
        foreach (var field in node.Fields) CheckMapKey(field.Type);
    }

    private void CheckMapKey(TypeNode type)
    {
        if (type.Kind == TypeKind.Vector)
        {
            CheckMapKey(type.Element!);
        }
        else if (type.Kind == TypeKind.Map)
        {
            var key = type.Key!;
            if (key.Kind is TypeKind.Vector or TypeKind.Map)
                _diagnostics.Add(TarsIdlErrorCode.InvalidTypeUse, "A map key cannot be a container (" + key + "); use a builtin, an enum or a struct with a key[...].", key.Span);
            else if (key.Resolved is StructNode { KeyFields: null } keyStruct)
                _diagnostics.Add(TarsIdlErrorCode.InvalidTypeUse,
                    "Struct '" + keyStruct.Name + "' is used as a map key but has no key[" + keyStruct.Name + ", ...]; declare which fields identify it.", key.Span);
            CheckMapKey(type.Element!);
        }
    }

    /// <summary>A struct that holds itself through plain struct fields could never be constructed; containers break the chain.</summary>
    private void CheckSelfContainment(IEnumerable<StructNode> structs)
    {
        var reported = new HashSet<StructNode>();
        foreach (var start in structs)
        {
            var path = new List<FieldNode>();
            if (!reported.Contains(start) && Reaches(start, start, path, new HashSet<StructNode>()))
            {
                // One error per cycle: the other structs on it are the same mistake.
                foreach (var field in path)
                {
                    if (field.Type.Resolved is StructNode member) reported.Add(member);
                }
                _diagnostics.Add(TarsIdlErrorCode.InvalidTypeUse,
                    "Struct '" + start.Name + "' contains itself through field '" + string.Join("' -> '", path.Select(f => f.Name)) + "'; hold it in a vector<" + start.Name + "> instead.", path[0].Span);
            }
        }
    }

    private static bool Reaches(StructNode current, StructNode target, List<FieldNode> path, HashSet<StructNode> seen)
    {
        if (!seen.Add(current)) return false;
        foreach (var field in current.Fields)
        {
            if (field.Type.Resolved is not StructNode next) continue;
            path.Add(field);
            if (next == target || Reaches(next, target, path, seen)) return true;
            path.RemoveAt(path.Count - 1);
        }
        return false;
    }

    private bool ResolveType(TypeNode type, ModuleNode scope)
    {
        switch (type.Kind)
        {
            case TypeKind.Vector:
                return ResolveType(type.Element!, scope);
            case TypeKind.Map:
                return ResolveType(type.Key!, scope) & ResolveType(type.Element!, scope);
            case TypeKind.Named:
            {
                var found = Lookup(type.Name!, scope);
                if (found is StructNode or EnumNode)
                {
                    type.Resolved = found;
                    return true;
                }
                _diagnostics.Add(found is null ? TarsIdlErrorCode.UnknownType : TarsIdlErrorCode.InvalidTypeUse,
                    found is null
                        ? "Unknown type '" + type.Name + "': no struct or enum of that name is visible from module '" + scope.FullName + "'" + IncludeHint(type.Name!) + "."
                        : "'" + type.Name + "' is a " + found.KindName + ", not a type.", type.Span);
                return false;
            }
            default:
                return true;
        }
    }

    private static string IncludeHint(string name) => name.Contains("::") ? " (is its file #included?)" : " (qualify names from other modules as Module::" + name + ")";

    /// <summary>Looks a name up from the innermost enclosing module outwards, like C++ scoping.</summary>
    private DefinitionNode? Lookup(string name, ModuleNode scope)
    {
        for (var k = scope.Segments.Length; k >= 0; k--)
        {
            var candidate = k == 0 ? name : string.Join("::", scope.Segments.Take(k)) + "::" + name;
            if (_definitions.TryGetValue(candidate, out var found)) return found;
        }
        return null;
    }

    private void CheckValue(TypeNode type, ValueNode value, string owner)
    {
        string? problem = null;
        switch (type.Kind)
        {
            case TypeKind.Bool:
                if (value.Kind != ValueKind.Bool) problem = "a bool value must be true or false";
                break;
            case TypeKind.Byte: problem = CheckInteger(value, sbyte.MinValue, sbyte.MaxValue, "byte"); break;
            case TypeKind.UnsignedByte: problem = CheckInteger(value, 0, byte.MaxValue, "unsigned byte"); break;
            case TypeKind.Short: problem = CheckInteger(value, short.MinValue, short.MaxValue, "short"); break;
            case TypeKind.UnsignedShort: problem = CheckInteger(value, 0, ushort.MaxValue, "unsigned short"); break;
            case TypeKind.Int: problem = CheckInteger(value, int.MinValue, int.MaxValue, "int"); break;
            case TypeKind.UnsignedInt: problem = CheckInteger(value, 0, uint.MaxValue, "unsigned int"); break;
            case TypeKind.Long: problem = CheckInteger(value, long.MinValue, long.MaxValue, "long"); break;
            case TypeKind.Float:
            case TypeKind.Double:
                if (value.Kind is not (ValueKind.Integer or ValueKind.Float) || !Literals.TryParseFloat(value.Text, out var d))
                    problem = "a " + type + " value must be a number";
                else if (type.Kind == TypeKind.Float && System.Math.Abs(d) > float.MaxValue)
                    problem = "the value does not fit a float";
                break;
            case TypeKind.String:
                if (value.Kind != ValueKind.String) problem = "a string value must be a quoted string";
                break;
            case TypeKind.Named when type.Resolved is EnumNode enumNode:
                if (value.Kind == ValueKind.Integer)
                {
                    problem = CheckInteger(value, int.MinValue, int.MaxValue, "enum");
                }
                else if (value.Kind == ValueKind.Name)
                {
                    var simple = value.Text.Substring(value.Text.LastIndexOf(':') + 1);
                    var qualifier = value.Text.Length > simple.Length ? value.Text.Substring(0, value.Text.Length - simple.Length - 2) : null;
                    value.Enumerator = enumNode.Members.FirstOrDefault(m => m.Name == simple);
                    if (value.Enumerator is null || (qualifier is not null && !enumNode.FullName.EndsWith(qualifier, System.StringComparison.Ordinal)
                        && !enumNode.Module.FullName.EndsWith(qualifier, System.StringComparison.Ordinal)))
                    {
                        value.Enumerator = null;
                        problem = "'" + value.Text + "' is not an enumerator of enum '" + enumNode.Name + "' (" + string.Join(", ", enumNode.Members.Select(m => m.Name)) + ")";
                    }
                }
                else
                {
                    problem = "an enum value must be one of its enumerators or an integer";
                }
                break;
            default:
                problem = "defaults are allowed only on builtin and enum fields, not on " + type;
                break;
        }
        if (problem is not null) _diagnostics.Add(TarsIdlErrorCode.BadValue, "Bad value " + Show(value) + " for " + owner + " of type " + type + ": " + problem + ".", value.Span);
    }

    private static string? CheckInteger(ValueNode value, long min, long max, string typeName)
    {
        if (value.Kind != ValueKind.Integer) return "a " + typeName + " value must be an integer";
        if (!Literals.TryParseInteger(value.Text, out var v))
        {
            var digits = value.Text.TrimStart('-', '+');
            if (digits.Length > 1 && digits[0] == '0' && digits[1] is not ('x' or 'X') && digits.IndexOfAny(['8', '9']) >= 0)
                return "it is not a valid number (a leading 0 makes it octal, which has no digits 8 or 9)";
            return "it is outside " + min + ".." + max;
        }
        if (v < min || v > max) return "it is outside " + min + ".." + max;
        return null;
    }

    private static string Show(ValueNode value) => value.Kind == ValueKind.String ? "\"" + value.Text + "\"" : "'" + value.Text + "'";

    private static string Where(SourceSpan span) => span.Path + "(" + span.Line + "," + span.Column + ")";
}
