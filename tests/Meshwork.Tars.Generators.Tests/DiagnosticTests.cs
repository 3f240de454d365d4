using Microsoft.CodeAnalysis;

namespace Meshwork.Tars.Generators.Tests;

/// <summary>Bad IDL is reported by the generator as an error located in the .tars file, and nothing is generated.</summary>
public sealed class DiagnosticTests
{
    [Fact]
    public void Missing_semicolon_is_an_error_at_its_line_and_column_in_the_tars_file()
    {
        var output = GeneratorHarness.Run(("/src/app/user.tars", "module M {\n  struct S {\n    0 optional int a\n  };\n};"));
        var error = Assert.Single(output.GeneratorDiagnostics);
        Assert.Equal(("MWT001", DiagnosticSeverity.Error), (error.Id, error.Severity));
        var span = error.Location.GetLineSpan();
        Assert.Equal("/src/app/user.tars", span.Path);
        Assert.Equal((2, 20), (span.StartLinePosition.Line, span.StartLinePosition.Character));
        Assert.Contains("Expected ';' after field 'a'", error.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(output.Sources);
    }

    [Fact]
    public void Errors_in_several_files_are_all_reported_with_their_ids()
    {
        var output = GeneratorHarness.Run(
            ("a.tars", "module A { struct S { 0 optional int a; 0 optional int b; }; };"),
            ("b.tars", "#include \"missing.tars\"\nmodule B { struct T { 300 optional Unknown u; }; };"));
        Assert.Equal(["MWT003", "MWT006", "MWT004", "MWT002"], output.GeneratorDiagnostics.Select(d => d.Id));
        Assert.Equal(["a.tars", "b.tars", "b.tars", "b.tars"], output.GeneratorDiagnostics.Select(d => d.Location.GetLineSpan().Path));
    }

    [Fact]
    public void Includes_resolve_relative_to_the_including_file_among_additional_files()
    {
        var output = GeneratorHarness.Run(
            ("/p/idl/app.tars", "#include \"../shared/base.tars\"\nmodule App { struct Req { 0 require Base::Id id; }; };"),
            ("/p/shared/base.tars", "module Base { struct Id { 0 require long v; }; };"));
        Assert.True(output.GeneratorDiagnostics.IsEmpty && output.CompileDiagnostics.Length == 0, output.Describe());
        Assert.Equal(2, output.Sources.Count);
    }

    [Fact]
    public void Include_cycle_is_reported()
    {
        var output = GeneratorHarness.Run(("x.tars", "#include \"y.tars\"\nmodule X { };"), ("y.tars", "#include \"x.tars\"\nmodule Y { };"));
        Assert.Equal("MWT007", Assert.Single(output.GeneratorDiagnostics).Id);
    }
}
