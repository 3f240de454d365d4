namespace Meshwork.Tars.Generators.Tests;

/// <summary>The generated C# compiles without a warning (nullable on, warning level max) for every IDL construct.</summary>
public sealed class CompileTests
{
    private static string Contract(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Contracts", name));

    [Fact]
    public void Every_construct_compiles_without_warnings()
    {
        var output = GeneratorHarness.Run(("c/everything.tars", Contract("everything.tars")), ("c/common.tars", Contract("common.tars")), ("c/meshtest.tars", Contract("meshtest.tars")));
        Assert.True(output.GeneratorDiagnostics.IsEmpty && output.CompileDiagnostics.Length == 0, output.Describe());
        Assert.Equal(["common.tars.g.cs", "everything.tars.g.cs", "meshtest.tars.g.cs"], output.Sources.Keys.Order());
    }

    [Fact]
    public void Root_namespace_property_prefixes_every_module()
    {
        var output = GeneratorHarness.Run(
            [("a.tars", "module M { struct S { 0 optional int a; }; };")],
            new Dictionary<string, string> { ["TarsRootNamespace"] = "My.Root" },
            "public static class Use { public static My.Root.M.S Make() => new My.Root.M.S { A = 1 }; }");
        Assert.True(output.GeneratorDiagnostics.IsEmpty && output.CompileDiagnostics.Length == 0, output.Describe());
    }

    [Fact]
    public void Reserved_names_compile_only_when_the_property_allows_them()
    {
        const string idl = "module tars { struct EndpointF { 0 require string host; }; };";
        var refused = GeneratorHarness.Run(("q.tars", idl));
        Assert.Equal("MWT009", Assert.Single(refused.GeneratorDiagnostics).Id);
        var allowed = GeneratorHarness.Run([("q.tars", idl)], new Dictionary<string, string> { ["TarsAllowReservedNames"] = "true" });
        Assert.True(allowed.GeneratorDiagnostics.IsEmpty && allowed.CompileDiagnostics.Length == 0, allowed.Describe());
    }

    [Fact]
    public void No_tars_files_generate_nothing()
    {
        var output = GeneratorHarness.Run();
        Assert.Empty(output.Sources);
        Assert.Empty(output.GeneratorDiagnostics);
    }
}
