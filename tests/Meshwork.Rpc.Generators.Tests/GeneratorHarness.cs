using System.Collections.Immutable;
using Meshwork.Rpc.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Meshwork.Rpc.Generators.Tests;

/// <summary>Runs <see cref="RpcServiceGenerator"/> in memory over sample sources.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    public static ImmutableArray<MetadataReference> References => s_references.Value;

    public static CSharpCompilation Compile(params string[] sources) =>
        CSharpCompilation.Create(
            "Sample",
            sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")),
            References,
            new CSharpCompilationOptions(
                OutputKind.DynamicallyLinkedLibrary,
                nullableContextOptions: NullableContextOptions.Enable,
                warningLevel: 9999,
                generalDiagnosticOption: ReportDiagnostic.Default));

    public static CSharpGeneratorDriver CreateDriver(bool trackSteps = false) =>
        CSharpGeneratorDriver.Create(
            [new RpcServiceGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps));

    /// <summary>Runs the generator; returns the generator's own diagnostics, the generated sources and the final compilation's diagnostics.</summary>
    public static GeneratorOutput Run(params string[] sources)
    {
        var compilation = Compile(sources);
        var driver = CreateDriver().RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var result = driver.GetRunResult();
        var generated = result.Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        var compileDiagnostics = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        return new GeneratorOutput(generatorDiagnostics, generated, compileDiagnostics, output);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The test host's trusted platform assemblies hold the framework plus every package this project references
        // (Meshwork.Rpc, PolyType, Google.Protobuf, Nerdbank.MessagePack).
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var builder = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (var path in paths)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) || name.StartsWith("xunit", StringComparison.Ordinal)
                || name.StartsWith("Meshwork.Rpc.Generators", StringComparison.Ordinal)) continue;
            builder.Add(MetadataReference.CreateFromFile(path));
        }
        if (!paths.Contains(typeof(Method<,>).Assembly.Location)) builder.Add(MetadataReference.CreateFromFile(typeof(Method<,>).Assembly.Location));
        return builder.ToImmutable();
    }
}

internal sealed record GeneratorOutput(
    ImmutableArray<Diagnostic> GeneratorDiagnostics,
    IReadOnlyDictionary<string, string> Sources,
    Diagnostic[] CompileDiagnostics,
    Compilation Compilation)
{
    public string Source => string.Join("\n", Sources.Values);

    public string Describe() =>
        string.Join("\n", GeneratorDiagnostics.Concat(CompileDiagnostics).Select(d => d.ToString())) + "\n----\n" + Source;
}
