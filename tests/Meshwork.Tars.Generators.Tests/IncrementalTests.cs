using Meshwork.Tars.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace Meshwork.Tars.Generators.Tests;

/// <summary>The generator recompiles .tars files only when one of them changes, not on every C# edit.</summary>
public sealed class IncrementalTests
{
    [Fact]
    public void Csharp_edits_reuse_the_compiled_tars_output_and_tars_edits_recompile()
    {
        var tars = new Text("a.tars", "module M { struct S { 0 optional int a; }; };");
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new TarsIdlGenerator().AsSourceGenerator()], [tars], new CSharpParseOptions(LanguageVersion.Latest),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        var compilation = CSharpCompilation.Create("Inc", [CSharpSyntaxTree.ParseText("class A { }")]);
        driver = driver.RunGenerators(compilation);

        driver = driver.RunGenerators(compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("class B { }")));
        var step = Assert.Single(driver.GetRunResult().Results[0].TrackedSteps[TarsIdlGenerator.CompileStep]);
        Assert.All(step.Outputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));

        driver = driver.ReplaceAdditionalText(tars, new Text("a.tars", "module M { struct S { 0 optional int a; 1 optional int b; }; };"));
        driver = driver.RunGenerators(compilation);
        var rerun = Assert.Single(driver.GetRunResult().Results[0].TrackedSteps[TarsIdlGenerator.CompileStep]);
        Assert.All(rerun.Outputs, o => Assert.Equal(IncrementalStepRunReason.Modified, o.Reason));
        Assert.Contains("public int B", driver.GetRunResult().Results[0].GeneratedSources[0].SourceText.ToString(), StringComparison.Ordinal);
    }

    private sealed class Text(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }
}
