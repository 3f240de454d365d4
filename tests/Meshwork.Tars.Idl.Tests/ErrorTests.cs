namespace Meshwork.Tars.Idl.Tests;

/// <summary>Every kind of bad IDL gets one error at the right file, line and column with a message that names the problem.</summary>
public sealed class ErrorTests
{
    [Theory]
    // missing ';' after a field: reported right after the field name, not on the next line
    [InlineData("module M {\n struct S {\n  0 optional int a\n  1 optional int b;\n };\n};", TarsIdlErrorCode.Syntax, 3, 19, "Expected ';' after field 'a'")]
    [InlineData("module M {\n struct S { 0 optional int a; }\n};", TarsIdlErrorCode.Syntax, 2, 32, "Expected ';' after the closing '}' of struct 'S'")]
    [InlineData("module M { struct S { optional int a; }; };", TarsIdlErrorCode.Syntax, 1, 23, "Expected a field tag")]
    [InlineData("module M { struct S { 0 int a; }; };", TarsIdlErrorCode.Syntax, 1, 25, "Expected 'require' or 'optional'")]
    [InlineData("struct S { 0 optional int a; };", TarsIdlErrorCode.Syntax, 1, 1, "must be declared inside a module")]
    [InlineData("module M { struct S { 0 optional int a; };", TarsIdlErrorCode.Syntax, 1, 43, "Module 'M' is not closed")]
    [InlineData("module M { interface I { int f(int a int b); }; };", TarsIdlErrorCode.Syntax, 1, 38, "Expected ',' or ')'")]
    [InlineData("module M { struct S { 0 optional vector<int a; }; };", TarsIdlErrorCode.Syntax, 1, 45, "Expected '>' to close vector")]
    [InlineData("module M { enum E { }; };", TarsIdlErrorCode.Syntax, 1, 21, "has no enumerators")]
    [InlineData("module M { key[S]; struct S { 0 optional int a; }; };", TarsIdlErrorCode.Syntax, 1, 17, "names no fields")]
    [InlineData("module M { const int X; };", TarsIdlErrorCode.Syntax, 1, 23, "Expected '='")]
    // unknown type, with a hint
    [InlineData("module M {\n struct S { 0 optional Missing m; };\n};", TarsIdlErrorCode.UnknownType, 2, 24, "Unknown type 'Missing'")]
    [InlineData("module M { struct S { 0 optional Other::T m; }; };", TarsIdlErrorCode.UnknownType, 1, 34, "is its file #included")]
    [InlineData("module M { interface I { Nope f(); }; };", TarsIdlErrorCode.UnknownType, 1, 26, "Unknown type 'Nope'")]
    [InlineData("module M { interface I { void f(vector<Nope> x); }; };", TarsIdlErrorCode.UnknownType, 1, 40, "Unknown type 'Nope'")]
    [InlineData("module M { interface A { void f(); }; struct S { 0 optional A a; }; };", TarsIdlErrorCode.InvalidTypeUse, 1, 61, "'A' is a interface, not a type")]
    // tags
    [InlineData("module M { struct S {\n 0 optional int a;\n 0 optional int b;\n}; };", TarsIdlErrorCode.DuplicateTag, 3, 2, "Tag 0 of field 'b' is already used by field 'a'")]
    [InlineData("module M { struct S { 256 optional int a; }; };", TarsIdlErrorCode.TagOutOfRange, 1, 23, "tags are 0..255")]
    [InlineData("module M { struct S { 99999999999999999999 optional int a; }; };", TarsIdlErrorCode.TagOutOfRange, 1, 23, "tags are 0..255")]
    // defaults and constants
    [InlineData("module M { struct S { 0 optional byte a = 128; }; };", TarsIdlErrorCode.BadValue, 1, 43, "outside -128..127")]
    [InlineData("module M { struct S { 0 optional unsigned int a = -1; }; };", TarsIdlErrorCode.BadValue, 1, 51, "outside 0..4294967295")]
    [InlineData("module M { struct S { 0 optional bool a = 1; }; };", TarsIdlErrorCode.BadValue, 1, 43, "must be true or false")]
    [InlineData("module M { struct S { 0 optional string a = 5; }; };", TarsIdlErrorCode.BadValue, 1, 45, "must be a quoted string")]
    [InlineData("module M { struct S { 0 optional int a = \"x\"; }; };", TarsIdlErrorCode.BadValue, 1, 42, "must be an integer")]
    [InlineData("module M { struct S { 0 optional float a = 1e39; }; };", TarsIdlErrorCode.BadValue, 1, 44, "does not fit a float")]
    [InlineData("module M { struct S { 0 optional vector<int> a = 1; }; };", TarsIdlErrorCode.BadValue, 1, 50, "defaults are allowed only on builtin and enum fields")]
    [InlineData("module M { enum E { A, B }; struct S { 0 optional E e = C; }; };", TarsIdlErrorCode.BadValue, 1, 57, "'C' is not an enumerator of enum 'E' (A, B)")]
    [InlineData("module M { enum E { A = 4294967296 }; };", TarsIdlErrorCode.BadValue, 1, 25, "does not fit an int")]
    [InlineData("module M { enum E { A = B, B }; };", TarsIdlErrorCode.BadValue, 1, 25, "earlier enumerator")]
    [InlineData("module M { const short X = 40000; };", TarsIdlErrorCode.BadValue, 1, 28, "outside -32768..32767")]
    [InlineData("module M { struct S { 0 optional int a; }; const S X = 1; };", TarsIdlErrorCode.InvalidTypeUse, 1, 50, "must have a builtin type")]
    // names
    [InlineData("module M { struct S { 0 optional int a; };\n struct S { 0 optional int b; }; };", TarsIdlErrorCode.DuplicateName, 2, 9, "'M::S' is already declared as a struct at main.tars(1,19)")]
    [InlineData("module M { struct S { 0 optional int a; 1 optional int a; }; };", TarsIdlErrorCode.DuplicateName, 1, 56, "already has a field named 'a'")]
    [InlineData("module M { enum E { A, A }; };", TarsIdlErrorCode.DuplicateName, 1, 24, "already has an enumerator named 'A'")]
    [InlineData("module M { interface I { void f(); int f(int a); }; };", TarsIdlErrorCode.DuplicateName, 1, 40, "TARS has no overloading")]
    [InlineData("module M { interface I { void f(int a, out int a); }; };", TarsIdlErrorCode.DuplicateName, 1, 48, "already has a parameter named 'a'")]
    [InlineData("module M { struct int { 0 optional int a; }; };", TarsIdlErrorCode.InvalidName, 1, 19, "'int' is a keyword")]
    [InlineData("module M { struct tarsThing { 0 optional int a; }; };", TarsIdlErrorCode.InvalidName, 1, 19, "reserved for the framework")]
    [InlineData("module M { struct S { 0 optional int a; 1 optional int A; }; };", TarsIdlErrorCode.NameCollision, 1, 56, "would both become the C# property 'A'")]
    [InlineData("module M { interface I { void go(); void Go(); }; };", TarsIdlErrorCode.NameCollision, 1, 42, "would both become the C# method 'GoAsync'")]
    [InlineData("module M { module N { struct X { 0 optional int a; }; }; struct N { 0 optional int a; }; };", TarsIdlErrorCode.NameCollision, 1, 65, "has the name of a module")]
    // tokens
    [InlineData("module M { struct S { 0 optional string a = \"abc; }; };", TarsIdlErrorCode.InvalidToken, 1, 45, "Unterminated string literal")]
    [InlineData("module M { /* never closed\n struct S {}; };", TarsIdlErrorCode.InvalidToken, 1, 12, "Unterminated comment")]
    [InlineData("module M { struct S { 0 optional int a = 12ab; }; };", TarsIdlErrorCode.InvalidToken, 1, 42, "Malformed number '12ab'")]
    [InlineData("module M { struct S { 0 optional int a = 09; }; };", TarsIdlErrorCode.BadValue, 1, 42, "leading 0 makes it octal")]
    [InlineData("module M { struct S { 0 optional int a; }; @ };", TarsIdlErrorCode.InvalidToken, 1, 44, "Unexpected character '@'")]
    [InlineData("module M { struct S { 0 optional string a = \"\\q\"; }; };", TarsIdlErrorCode.InvalidToken, 1, 46, "Unknown escape sequence '\\q'")]
    // type uses
    [InlineData("module M { struct S { 0 optional map<vector<int>, int> m; }; };", TarsIdlErrorCode.InvalidTypeUse, 1, 38, "A map key cannot be a container")]
    [InlineData("module M { struct K { 0 optional int a; }; struct S { 0 optional map<K, int> m; }; };", TarsIdlErrorCode.InvalidTypeUse, 1, 70, "has no key[K, ...]")]
    [InlineData("module M { interface I { void f(void x); }; };", TarsIdlErrorCode.InvalidTypeUse, 1, 33, "cannot have type 'void'")]
    [InlineData("module M { interface I { void f(out routekey int x); }; };", TarsIdlErrorCode.InvalidTypeUse, 1, 50, "both 'out' and 'routekey'")]
    [InlineData("module M { struct S { 0 optional unsigned long a; }; };", TarsIdlErrorCode.InvalidTypeUse, 1, 43, "'unsigned' must be followed by byte, short or int")]
    [InlineData("module M { struct A { 0 require B b; }; struct B { 0 optional A a; }; };", TarsIdlErrorCode.InvalidTypeUse, 1, 35, "contains itself")]
    // keys
    [InlineData("module M { struct S { 0 optional int a; }; key[S, b]; };", TarsIdlErrorCode.InvalidKey, 1, 51, "'b', which is not a field of struct 'S'")]
    [InlineData("module M { key[T, a]; };", TarsIdlErrorCode.InvalidKey, 1, 12, "'T' is not declared")]
    [InlineData("module M { struct S { 0 optional vector<int> a; }; key[S, a]; };", TarsIdlErrorCode.InvalidKey, 1, 59, "key fields must be builtin or enum types")]
    public void Bad_idl_gets_one_error_with_its_position(string text, TarsIdlErrorCode code, int line, int column, string message)
    {
        var error = Idl.SingleError(text);
        Assert.True(code == error.Code && line == error.Line && column == error.Column && error.Message.Contains(message, StringComparison.Ordinal),
            $"expected {code} at ({line},{column}) containing \"{message}\"; got {error}");
        Assert.Equal("main.tars", error.Path);
        Assert.StartsWith($"main.tars({line},{column}): error MWT0", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Several_semantic_errors_are_all_reported_in_file_order()
    {
        var compilation = Idl.Compile("module M {\n struct S { 0 optional X a; 0 optional int b; };\n interface I { Y f(); };\n};");
        Assert.Equal([TarsIdlErrorCode.UnknownType, TarsIdlErrorCode.DuplicateTag, TarsIdlErrorCode.UnknownType], compilation.Diagnostics.Select(d => d.Code));
        Assert.Throws<InvalidOperationException>(() => compilation.EmitCSharp());
    }

    [Fact]
    public void Missing_include_is_reported_at_the_directive()
    {
        var compilation = Idl.CompileFiles([("main.tars", "\n#include \"nowhere.tars\"\nmodule M { struct S { 0 optional int a; }; };")]);
        var error = Assert.Single(compilation.Diagnostics);
        Assert.Equal((TarsIdlErrorCode.IncludeNotFound, 2, 1), (error.Code, error.Line, error.Column));
        Assert.Contains("\"nowhere.tars\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Include_cycle_is_reported_with_the_chain()
    {
        var compilation = Idl.CompileFiles(
        [
            ("a.tars", "#include \"b.tars\"\nmodule A { struct X { 0 optional int a; }; };"),
            ("b.tars", "#include \"c.tars\"\nmodule B { struct Y { 0 optional int a; }; };"),
            ("c.tars", "\n\n#include \"a.tars\"\nmodule C { struct Z { 0 optional int a; }; };"),
        ]);
        var error = Assert.Single(compilation.Diagnostics);
        Assert.Equal((TarsIdlErrorCode.IncludeCycle, "c.tars", 3, 1), (error.Code, error.Path, error.Line, error.Column));
        Assert.Contains("a.tars -> b.tars -> c.tars -> a.tars", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Syntax_error_in_an_included_file_names_that_file()
    {
        var compilation = Idl.CompileFiles(
        [
            ("main.tars", "#include \"bad.tars\"\nmodule A { struct X { 0 optional int a; }; };"),
            ("bad.tars", "module B {\n struct Y { 0 optional int a };\n};"),
        ]);
        var error = Assert.Single(compilation.Diagnostics);
        Assert.Equal((TarsIdlErrorCode.Syntax, "bad.tars", 2, 29), (error.Code, error.Path, error.Line, error.Column));
    }

    [Fact]
    public void Limits_are_enforced()
    {
        var deep = "module M { struct S { 0 optional " + string.Concat(Enumerable.Repeat("vector<", 40)) + "int" + new string('>', 40) + " a; }; };";
        Assert.Equal(TarsIdlErrorCode.LimitExceeded, Idl.SingleError(deep).Code);
        Assert.False(Idl.Compile(deep, new TarsIdlOptions { MaxNestingDepth = 64 }).HasErrors);
        Assert.Equal(TarsIdlErrorCode.LimitExceeded, Idl.SingleError("module M { };", new TarsIdlOptions { MaxFileLength = 5 }).Code);
        var parameters = string.Join(", ", Enumerable.Range(0, 256).Select(i => "int p" + i));
        Assert.Equal(TarsIdlErrorCode.LimitExceeded, Idl.SingleError("module M { interface I { void f(" + parameters + "); }; };").Code);
        var chain = Enumerable.Range(0, 5).Select(i => ("f" + i + ".tars", "#include \"f" + (i + 1) + ".tars\"\nmodule M" + i + " { const int X = 1; };")).ToList();
        chain.Add(("f5.tars", "module M5 { const int X = 1; };"));
        var limited = Idl.CompileFiles([.. chain], new TarsIdlOptions { MaxIncludeDepth = 3 });
        Assert.Equal(TarsIdlErrorCode.LimitExceeded, Assert.Single(limited.Diagnostics).Code);
        Assert.Throws<ArgumentOutOfRangeException>(() => Idl.Compile("module M { };", new TarsIdlOptions { MaxNestingDepth = 0 }));
    }
}
