using System.Collections.Generic;

namespace Meshwork.Tars.Idl.Syntax;

/// <summary>
/// Recursive-descent parser for one <c>.tars</c> file. Stops at the first syntax error (thrown as
/// <see cref="IdlSyntaxException"/>); name, type and value checks are left to the binder.
/// </summary>
internal sealed class Parser
{
    public static readonly HashSet<string> Keywords =
    [
        "void", "struct", "bool", "byte", "short", "int", "double", "float", "long", "string", "vector", "map", "key",
        "routekey", "module", "interface", "out", "require", "optional", "false", "true", "enum", "const", "unsigned",
    ];

    private readonly List<Token> _tokens;
    private readonly IdlFile _file;
    private readonly TarsIdlOptions _options;
    private int _index;
    private int _depth;

    private Parser(List<Token> tokens, IdlFile file, TarsIdlOptions options)
    {
        _tokens = tokens;
        _file = file;
        _options = options;
    }

    public static IdlFile Parse(string path, string text, TarsIdlOptions options)
    {
        var file = new IdlFile(path);
        new Parser(Lexer.Tokenize(path, text), file, options).ParseFile();
        return file;
    }

    private Token Current => _tokens[_index];

    private Token Advance()
    {
        var token = _tokens[_index];
        if (_index < _tokens.Count - 1) _index++;
        return token;
    }

    private void ParseFile()
    {
        while (Current.Kind != TokenKind.End)
        {
            if (Current.Is("#"))
            {
                ParseInclude();
            }
            else if (Current.IsWord("module"))
            {
                _file.Modules.Add(ParseModule(null));
            }
            else if (Current.IsWord("struct") || Current.IsWord("enum") || Current.IsWord("interface") || Current.IsWord("const") || Current.IsWord("key"))
            {
                throw Error("'" + Current.Text + "' must be declared inside a module: wrap it in 'module Name { ... };'.", Current);
            }
            else
            {
                throw Error("Expected '#include' or 'module' at the top level, found " + Current.Describe() + ".", Current);
            }
        }
    }

    private void ParseInclude()
    {
        var hash = Advance();
        if (!Current.IsWord("include") || Current.Span.Offset != hash.Span.Offset + 1)
            throw Error("Expected 'include' right after '#'; the only directive is #include \"file.tars\".", Current);
        Advance();
        if (Current.Kind != TokenKind.String) throw Error("Expected a quoted file name after #include, found " + Current.Describe() + ".", Current);
        var name = Advance();
        if (name.Text.Length == 0) throw Error("#include needs a non-empty file name.", name);
        _file.Includes.Add(new IncludeDirective(name.Text, Widen(hash.Span, name.Span)));
    }

    private ModuleNode ParseModule(ModuleNode? parent)
    {
        var keyword = Expect("module");
        var (name, span) = ExpectName("module name");
        EnterNesting(keyword);
        var module = new ModuleNode(name, span, parent, _file);
        Expect("{", "after the module name");
        while (!Current.Is("}"))
        {
            if (Current.Kind == TokenKind.End) throw Error("Module '" + name + "' is not closed: expected '}' before the end of the file.", Current);
            ParseDefinition(module);
        }
        Advance();
        Expect(";", "after the closing '}' of module '" + name + "'");
        _depth--;
        return module;
    }

    private void ParseDefinition(ModuleNode module)
    {
        var token = Current;
        if (token.IsWord("module")) module.Modules.Add(ParseModule(module));
        else if (token.IsWord("struct")) module.Definitions.Add(ParseStruct(module));
        else if (token.IsWord("enum")) module.Definitions.Add(ParseEnum(module));
        else if (token.IsWord("const")) module.Definitions.Add(ParseConst(module));
        else if (token.IsWord("interface")) module.Definitions.Add(ParseInterface(module));
        else if (token.IsWord("key")) module.Keys.Add(ParseKey());
        else if (token.Is("#")) throw Error("#include must be at the top level of the file, not inside a module.", token);
        else throw Error("Expected a definition (struct, enum, const, interface, key or module), found " + token.Describe() + ".", token);
    }

    private StructNode ParseStruct(ModuleNode module)
    {
        Expect("struct");
        var (name, span) = ExpectName("struct name");
        var node = new StructNode(name, span, module);
        Expect("{", "after the struct name");
        while (!Current.Is("}"))
        {
            if (Current.Kind == TokenKind.End) throw Error("Struct '" + name + "' is not closed: expected '}' before the end of the file.", Current);
            node.Fields.Add(ParseField());
        }
        Advance();
        Expect(";", "after the closing '}' of struct '" + name + "'");
        return node;
    }

    private FieldNode ParseField()
    {
        if (Current.Kind != TokenKind.Integer)
            throw Error("Expected a field tag (an integer 0..255) at the start of a struct member, found " + Current.Describe() + ".", Current);
        var tagToken = Advance();
        // Range errors are the binder's (so they come with the other field checks); here only the shape is read.
        var tag = ParseTag(tagToken);
        bool required;
        if (Current.IsWord("require")) required = true;
        else if (Current.IsWord("optional")) required = false;
        else throw Error("Expected 'require' or 'optional' after tag " + tagToken.Text + ", found " + Current.Describe() + ".", Current);
        Advance();
        var type = ParseType();
        var (name, span) = ExpectName("field name");
        ValueNode? value = null;
        if (Current.Is("="))
        {
            Advance();
            value = ParseValue();
        }
        Expect(";", "after field '" + name + "'");
        return new FieldNode(tag, tagToken.Span, required, type, name, span, value);
    }

    private static int ParseTag(Token token)
    {
        // Out-of-range and malformed tags map to -1 or a large value; the binder reports them.
        return Literals.TryParseInteger(token.Text, out var value) ? (value is < int.MinValue or > int.MaxValue ? int.MaxValue : (int)value) : int.MaxValue;
    }

    private EnumNode ParseEnum(ModuleNode module)
    {
        Expect("enum");
        var (name, span) = ExpectName("enum name");
        var node = new EnumNode(name, span, module);
        Expect("{", "after the enum name");
        while (!Current.Is("}"))
        {
            var (member, memberSpan) = ExpectName("enumerator name");
            ValueNode? value = null;
            if (Current.Is("="))
            {
                Advance();
                value = ParseValue();
            }
            node.Members.Add(new EnumeratorNode(member, memberSpan, value));
            if (Current.Is(",")) Advance();
            else if (!Current.Is("}")) throw Error("Expected ',' or '}' after enumerator '" + member + "', found " + Current.Describe() + ".", Current);
        }
        var close = Advance();
        if (node.Members.Count == 0) throw Error("Enum '" + name + "' has no enumerators.", close);
        Expect(";", "after the closing '}' of enum '" + name + "'");
        return node;
    }

    private ConstNode ParseConst(ModuleNode module)
    {
        Expect("const");
        var type = ParseType();
        var (name, span) = ExpectName("constant name");
        Expect("=", "after constant '" + name + "' (a constant needs a value)");
        var value = ParseValue();
        Expect(";", "after constant '" + name + "'");
        return new ConstNode(name, span, module, type, value);
    }

    private InterfaceNode ParseInterface(ModuleNode module)
    {
        Expect("interface");
        var (name, span) = ExpectName("interface name");
        var node = new InterfaceNode(name, span, module);
        Expect("{", "after the interface name");
        while (!Current.Is("}"))
        {
            if (Current.Kind == TokenKind.End) throw Error("Interface '" + name + "' is not closed: expected '}' before the end of the file.", Current);
            node.Operations.Add(ParseOperation());
        }
        Advance();
        Expect(";", "after the closing '}' of interface '" + name + "'");
        return node;
    }

    private OperationNode ParseOperation()
    {
        TypeNode? returnType = null;
        if (Current.IsWord("void")) Advance();
        else returnType = ParseType();
        var (name, span) = ExpectName("operation name");
        var operation = new OperationNode(returnType, name, span);
        Expect("(", "after operation '" + name + "'");
        if (!Current.Is(")"))
        {
            while (true)
            {
                operation.Parameters.Add(ParseParameter(name));
                if (Current.Is(","))
                {
                    Advance();
                    continue;
                }
                if (Current.Is(")")) break;
                throw Error("Expected ',' or ')' in the parameter list of '" + name + "', found " + Current.Describe() + ".", Current);
            }
        }
        Advance();
        Expect(";", "after operation '" + name + "'");
        return operation;
    }

    private ParameterNode ParseParameter(string operation)
    {
        var isOut = false;
        var isRouteKey = false;
        while (Current.IsWord("out") || Current.IsWord("routekey"))
        {
            var modifier = Advance();
            if (modifier.Text == "out")
            {
                if (isOut) throw Error("'out' is given twice.", modifier);
                isOut = true;
            }
            else
            {
                if (isRouteKey) throw Error("'routekey' is given twice.", modifier);
                isRouteKey = true;
            }
        }
        if (Current.IsWord("void")) throw new IdlSyntaxException(TarsIdlErrorCode.InvalidTypeUse, "A parameter of '" + operation + "' cannot have type 'void'.", Current.Span);
        var type = ParseType();
        var (name, span) = ExpectName("parameter name");
        return new ParameterNode(isOut, isRouteKey, type, name, span);
    }

    private KeyNode ParseKey()
    {
        var keyword = Expect("key");
        Expect("[", "after 'key'");
        var (structName, structSpan) = ParseQualifiedName("struct name");
        var fields = new List<(string, SourceSpan)>();
        while (Current.Is(","))
        {
            Advance();
            fields.Add(ExpectName("field name"));
        }
        if (fields.Count == 0) throw Error("key[" + structName + "] names no fields: write key[" + structName + ", field1, field2].", Current);
        Expect("]", "at the end of key[...]");
        Expect(";", "after key[...]");
        return new KeyNode(structName, Widen(keyword.Span, structSpan), fields);
    }

    private TypeNode ParseType()
    {
        var token = Current;
        if (token.Kind != TokenKind.Identifier) throw Error("Expected a type, found " + token.Describe() + ".", token);
        switch (token.Text)
        {
            case "bool": Advance(); return TypeNode.Builtin(TypeKind.Bool, token.Span);
            case "byte": Advance(); return TypeNode.Builtin(TypeKind.Byte, token.Span);
            case "short": Advance(); return TypeNode.Builtin(TypeKind.Short, token.Span);
            case "int": Advance(); return TypeNode.Builtin(TypeKind.Int, token.Span);
            case "long": Advance(); return TypeNode.Builtin(TypeKind.Long, token.Span);
            case "float": Advance(); return TypeNode.Builtin(TypeKind.Float, token.Span);
            case "double": Advance(); return TypeNode.Builtin(TypeKind.Double, token.Span);
            case "string": Advance(); return TypeNode.Builtin(TypeKind.String, token.Span);
            case "unsigned":
            {
                Advance();
                var inner = Current;
                TypeKind kind;
                if (inner.IsWord("byte")) kind = TypeKind.UnsignedByte;
                else if (inner.IsWord("short")) kind = TypeKind.UnsignedShort;
                else if (inner.IsWord("int")) kind = TypeKind.UnsignedInt;
                else throw new IdlSyntaxException(TarsIdlErrorCode.InvalidTypeUse, "'unsigned' must be followed by byte, short or int, found " + inner.Describe() + ".", inner.Span);
                Advance();
                return TypeNode.Builtin(kind, Widen(token.Span, inner.Span));
            }
            case "vector":
            {
                Advance();
                EnterNesting(token);
                Expect("<", "after 'vector'");
                var element = ParseType();
                var close = Expect(">", "to close vector<...>");
                _depth--;
                return TypeNode.Vector(element, Widen(token.Span, close.Span));
            }
            case "map":
            {
                Advance();
                EnterNesting(token);
                Expect("<", "after 'map'");
                var key = ParseType();
                Expect(",", "between the key and value types of map<K, V>");
                var value = ParseType();
                var close = Expect(">", "to close map<...>");
                _depth--;
                return TypeNode.Map(key, value, Widen(token.Span, close.Span));
            }
            case "void":
                throw new IdlSyntaxException(TarsIdlErrorCode.InvalidTypeUse, "'void' is only allowed as the result of an operation.", token.Span);
            default:
                if (Keywords.Contains(token.Text)) throw Error("Expected a type, found keyword '" + token.Text + "'.", token);
                var (name, span) = ParseQualifiedName("type name");
                return TypeNode.Named(name, span);
        }
    }

    private (string Name, SourceSpan Span) ParseQualifiedName(string what)
    {
        var (name, span) = ExpectName(what);
        var full = span;
        while (Current.Is("::"))
        {
            Advance();
            var (next, nextSpan) = ExpectName(what);
            name += "::" + next;
            full = Widen(full, nextSpan);
        }
        return (name, full);
    }

    private ValueNode ParseValue()
    {
        var token = Current;
        if (token.Is("-") || token.Is("+"))
        {
            Advance();
            var number = Current;
            if (number.Kind is not (TokenKind.Integer or TokenKind.Float) || number.Span.Offset != token.Span.Offset + 1)
                throw Error("Expected a number right after '" + token.Text + "', found " + number.Describe() + ".", number);
            Advance();
            var text = token.Text == "-" ? "-" + number.Text : number.Text;
            return new ValueNode(number.Kind == TokenKind.Integer ? ValueKind.Integer : ValueKind.Float, text, Widen(token.Span, number.Span));
        }
        switch (token.Kind)
        {
            case TokenKind.Integer: Advance(); return new ValueNode(ValueKind.Integer, token.Text, token.Span);
            case TokenKind.Float: Advance(); return new ValueNode(ValueKind.Float, token.Text, token.Span);
            case TokenKind.String: Advance(); return new ValueNode(ValueKind.String, token.Text, token.Span);
            case TokenKind.Identifier when token.Text is "true" or "false": Advance(); return new ValueNode(ValueKind.Bool, token.Text, token.Span);
            case TokenKind.Identifier when !Keywords.Contains(token.Text):
            {
                var (name, span) = ParseQualifiedName("value");
                return new ValueNode(ValueKind.Name, name, span);
            }
            default:
                throw Error("Expected a value (a number, a quoted string, true, false or an enumerator), found " + token.Describe() + ".", token);
        }
    }

    private Token Expect(string punctuationOrKeyword, string? where = null)
    {
        var token = Current;
        if (token.Is(punctuationOrKeyword) || token.IsWord(punctuationOrKeyword)) return Advance();
        var message = "Expected '" + punctuationOrKeyword + "'" + (where is null ? "" : " " + where) + ", found " + token.Describe() + ".";
        // A missing ';' is reported where it belongs (just after the previous token), not at the next line's first token.
        if (punctuationOrKeyword == ";" && _index > 0)
        {
            var previous = _tokens[_index - 1].Span;
            throw Error(message, new SourceSpan(previous.Path, previous.Line, previous.Column + previous.Length, previous.Offset + previous.Length, 0));
        }
        throw Error(message, token);
    }

    private (string Name, SourceSpan Span) ExpectName(string what)
    {
        var token = Current;
        if (token.Kind != TokenKind.Identifier) throw Error("Expected a " + what + ", found " + token.Describe() + ".", token);
        if (Keywords.Contains(token.Text))
            throw new IdlSyntaxException(TarsIdlErrorCode.InvalidName, "'" + token.Text + "' is a keyword and cannot be used as a " + what + ".", token.Span);
        if (!_options.AllowReservedNames && token.Text.StartsWith("tars", System.StringComparison.Ordinal))
            throw new IdlSyntaxException(TarsIdlErrorCode.InvalidName,
                "'" + token.Text + "': names starting with 'tars' are reserved for the framework (set AllowReservedNames to compile framework contracts).", token.Span);
        Advance();
        return (token.Text, token.Span);
    }

    private void EnterNesting(Token at)
    {
        if (++_depth > _options.MaxNestingDepth)
            throw new IdlSyntaxException(TarsIdlErrorCode.LimitExceeded, "Nesting deeper than " + _options.MaxNestingDepth + " levels (MaxNestingDepth).", at.Span);
    }

    private static IdlSyntaxException Error(string message, Token at) => new(TarsIdlErrorCode.Syntax, message, at.Span);

    private static IdlSyntaxException Error(string message, SourceSpan at) => new(TarsIdlErrorCode.Syntax, message, at);

    private static SourceSpan Widen(SourceSpan start, SourceSpan end) =>
        end.Line == start.Line ? start with { Length = end.Offset + end.Length - start.Offset } : start;
}
