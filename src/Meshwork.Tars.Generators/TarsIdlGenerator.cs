using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Text;
using Meshwork.Tars.Idl;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Meshwork.Tars.Generators;

/// <summary>
/// Compiles every <c>.tars</c> file listed as an <c>AdditionalFiles</c> item into C# (one generated file per .tars
/// file); reports .tars errors as MWT0nn diagnostics located in the .tars file.
/// </summary>
/// <remarks>
/// MSBuild properties (made visible with <c>CompilerVisibleProperty</c>): <c>TarsRootNamespace</c> puts a namespace in
/// front of every module's; <c>TarsAllowReservedNames</c> = true allows names starting with <c>tars</c>.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class TarsIdlGenerator : IIncrementalGenerator
{
    /// <summary>Tracking name of the step that compiles all .tars files.</summary>
    public const string CompileStep = "TarsCompile";

    /// <summary>Registers the pipeline: collect the .tars files and settings, compile them together, emit.</summary>
    /// <param name="context">The generator context.</param>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(static text => text.Path.EndsWith(".tars", StringComparison.OrdinalIgnoreCase))
            .Select(static (text, ct) => new IdlInput(text.Path, text.GetText(ct)?.ToString()))
            .Collect();
        var settings = context.AnalyzerConfigOptionsProvider.Select(static (provider, _) =>
        {
            provider.GlobalOptions.TryGetValue("build_property.TarsRootNamespace", out var root);
            provider.GlobalOptions.TryGetValue("build_property.TarsAllowReservedNames", out var reserved);
            return new GeneratorSettings(string.IsNullOrWhiteSpace(root) ? null : root!.Trim(),
                string.Equals(reserved?.Trim(), "true", StringComparison.OrdinalIgnoreCase));
        });
        var results = files.Combine(settings)
            .Select(static (pair, _) => Compile(pair.Left, pair.Right))
            .WithTrackingName(CompileStep);
        context.RegisterSourceOutput(results, static (spc, result) =>
        {
            foreach (var error in result.Errors)
            {
                var start = new LinePosition(error.Line - 1, error.Column - 1);
                var location = Location.Create(error.Path, new TextSpan(error.Offset, error.Length), new LinePositionSpan(start, new LinePosition(start.Line, start.Character + error.Length)));
                spc.ReportDiagnostic(Diagnostic.Create(TarsDiagnostics.For(error.Id), location, error.Message));
            }
            foreach (var source in result.Sources) spc.AddSource(source.HintName, SourceText.From(source.Text, Encoding.UTF8));
        });
    }

    private static GenerationResult Compile(ImmutableArray<IdlInput> inputs, GeneratorSettings settings)
    {
        if (inputs.IsEmpty) return new GenerationResult(new ValueList<GeneratedSource>([]), new ValueList<ErrorInfo>([]));
        // Sorted so that the output does not depend on the order MSBuild lists the files in.
        var ordered = inputs.OrderBy(i => i.Path, StringComparer.Ordinal).ToList();
        var errors = new List<ErrorInfo>();
        foreach (var unreadable in ordered.Where(i => i.Text is null))
            errors.Add(new ErrorInfo("MWT006", "Cannot read the .tars file '" + unreadable.Path + "'.", unreadable.Path, 0, 0, 1, 1));
        var options = new TarsIdlOptions { RootNamespace = settings.RootNamespace, AllowReservedNames = settings.AllowReservedNames };
        var compilation = TarsIdlCompiler.Compile(
            ordered.Where(i => i.Text is not null).Select(i => new TarsIdlSource(i.Path, i.Text!)),
            new AdditionalFilesResolver(ordered),
            options);
        errors.AddRange(compilation.Diagnostics.Select(d => new ErrorInfo(d.Id, d.Message, d.Path, d.Offset, d.Length, d.Line, d.Column)));
        if (errors.Count > 0) return new GenerationResult(new ValueList<GeneratedSource>([]), new ValueList<ErrorInfo>(errors));
        var sources = compilation.EmitCSharp().Select(f => new GeneratedSource(f.FileName, f.Text));
        return new GenerationResult(new ValueList<GeneratedSource>(sources), new ValueList<ErrorInfo>([]));
    }
}
