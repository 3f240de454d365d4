using System.Collections.Immutable;
using Meshwork.Tars.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace Meshwork.Tars.Generators.Tests;

/// <summary>Runs <see cref="TarsIdlGenerator"/> in memory over .tars texts and compiles what it generates.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> s_references = new(LoadReferences);

    public static GeneratorOutput Run(params (string Path, string Text)[] tarsFiles) => Run(tarsFiles, null);

    public static GeneratorOutput Run((string Path, string Text)[] tarsFiles, Dictionary<string, string>? properties, string? csharp = null)
    {
        var compilation = CSharpCompilation.Create(
            "Generated",
            csharp is null ? [] : [CSharpSyntaxTree.ParseText(csharp, new CSharpParseOptions(LanguageVersion.Latest), path: "User.cs")],
            s_references.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable, warningLevel: 9999));
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new TarsIdlGenerator().AsSourceGenerator()],
            tarsFiles.Select(f => (AdditionalText)new MemoryText(f.Path, f.Text)),
            new CSharpParseOptions(LanguageVersion.Latest),
            new Options(properties ?? []));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        var generated = driver.GetRunResult().Results.SelectMany(r => r.GeneratedSources).ToDictionary(s => s.HintName, s => s.SourceText.ToString());
        var compileDiagnostics = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        return new GeneratorOutput(generatorDiagnostics, generated, compileDiagnostics);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var builder = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (var path in paths)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            if (name.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) || name.StartsWith("xunit", StringComparison.Ordinal)
                || name.StartsWith("Meshwork.Tars.Generators", StringComparison.Ordinal)) continue;
            builder.Add(MetadataReference.CreateFromFile(path));
        }
        var runtime = typeof(Meshwork.Tars.TarsWriter).Assembly.Location;
        if (!paths.Contains(runtime)) builder.Add(MetadataReference.CreateFromFile(runtime));
        return builder.ToImmutable();
    }

    private sealed class MemoryText(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }

    private sealed class Options(Dictionary<string, string> properties) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Values(properties.ToDictionary(p => "build_property." + p.Key, p => p.Value));

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Values([]);

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Values([]);
    }

    private sealed class Values(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) => values.TryGetValue(key, out value);
    }
}

internal sealed record GeneratorOutput(ImmutableArray<Diagnostic> GeneratorDiagnostics, IReadOnlyDictionary<string, string> Sources, Diagnostic[] CompileDiagnostics)
{
    public string Describe() =>
        string.Join("\n", GeneratorDiagnostics.Concat(CompileDiagnostics).Select(d => d.ToString())) + "\n----\n" + string.Join("\n", Sources.Values);
}
