using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Meshwork.Rpc.Generators.Tests;

/// <summary>The pipeline caches its models: edits that do not touch a contract do not regenerate it.</summary>
public sealed class IncrementalTests
{
    private const string Contract = """
        using System.Threading.Tasks;
        using Meshwork.Rpc;

        namespace Cache;

        [RpcService]
        public interface IStore
        {
            Task<string> GetAsync(string key);
            [RpcMethod(OneWay = true)] Task PutAsync(string value);
        }
        """;

    private const string Other = """
        namespace Cache;

        public static class Helper
        {
            public static int Twice(int x) => x * 2;
        }
        """;

    [Fact]
    public void UnrelatedEditIsCached()
    {
        var compilation = GeneratorHarness.Compile(Contract, Other);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true);
        driver = driver.RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Single(first.GeneratedSources);

        // Edit the other file only.
        var otherTree = compilation.SyntaxTrees.Single(t => t.FilePath == "Source1.cs");
        var edited = compilation.ReplaceSyntaxTree(otherTree, CSharpSyntaxTree.ParseText(Other.Replace("x * 2", "x + x"), GeneratorHarness.ParseOptions, path: "Source1.cs"));
        driver = driver.RunGenerators(edited);
        var second = driver.GetRunResult().Results.Single();

        var steps = second.TrackedSteps[RpcServiceGenerator.ServicesStep];
        Assert.NotEmpty(steps);
        Assert.All(steps.SelectMany(s => s.Outputs), o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.All(second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void EditInsideTheContractFileWithoutChangingTheContractIsUnchanged()
    {
        var compilation = GeneratorHarness.Compile(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true);
        driver = driver.RunGenerators(compilation);

        // Re-parse the contract with an added comment: the syntax changes, the model does not.
        var tree = compilation.SyntaxTrees.Single();
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Contract + "\n// trailing comment\n", GeneratorHarness.ParseOptions, path: "Source0.cs"));
        driver = driver.RunGenerators(edited);
        var result = driver.GetRunResult().Results.Single();

        var outputs = result.TrackedSteps[RpcServiceGenerator.ServicesStep].SelectMany(s => s.Outputs).ToArray();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
        Assert.All(result.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void ChangingTheContractRegenerates()
    {
        var compilation = GeneratorHarness.Compile(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true);
        driver = driver.RunGenerators(compilation);

        var tree = compilation.SyntaxTrees.Single();
        var changed = Contract.Replace("Task<string> GetAsync(string key);", "Task<string> GetAsync(string key);\n    Task<int> SizeAsync();");
        driver = driver.RunGenerators(compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(changed, GeneratorHarness.ParseOptions, path: "Source0.cs")));
        var result = driver.GetRunResult().Results.Single();

        Assert.Contains(result.TrackedSteps[RpcServiceGenerator.ServicesStep].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("SizeAsync", result.GeneratedSources.Single().SourceText.ToString());
    }

    [Fact]
    public void ModelsHoldNoSymbolsOrSyntax()
    {
        var compilation = GeneratorHarness.Compile(Contract);
        GeneratorDriver driver = GeneratorHarness.CreateDriver(trackSteps: true);
        driver = driver.RunGenerators(compilation);
        var result = driver.GetRunResult().Results.Single();
        foreach (var step in result.TrackedSteps[RpcServiceGenerator.ServicesStep])
        {
            foreach (var (value, _) in step.Outputs) AssertNoCompilationObjects(value, depth: 0);
        }
    }

    private static void AssertNoCompilationObjects(object? value, int depth)
    {
        if (value is null || depth > 6) return;
        Assert.False(value is ISymbol or SyntaxNode or Compilation or SemanticModel, $"model holds a {value.GetType().Name}");
        var type = value.GetType();
        if (type.IsPrimitive || value is string || type.IsEnum) return;
        if (value is System.Collections.IEnumerable items)
        {
            foreach (var item in items) AssertNoCompilationObjects(item, depth + 1);
            return;
        }
        foreach (var property in type.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0) continue;
            AssertNoCompilationObjects(property.GetValue(value), depth + 1);
        }
    }
}
