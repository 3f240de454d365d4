using System;
using System.Collections.Generic;
using Meshwork.Tars.Idl.Semantics;

namespace Meshwork.Tars.Idl;

/// <summary>Compiles <c>.tars</c> files: parses them and everything they include, then checks them as a whole.</summary>
public static class TarsIdlCompiler
{
    /// <summary>Parses and checks <paramref name="sources"/> and the files they include.</summary>
    /// <param name="sources">The files to compile; each is compiled once even when another one includes it too.</param>
    /// <param name="includeResolver">Finds the files named by <c>#include</c>; without one, every <c>#include</c> is an error.</param>
    /// <param name="options">Limits and naming settings; <see cref="TarsIdlOptions.Default"/> when omitted.</param>
    /// <returns>The compilation: its errors (none when <see cref="TarsIdlCompilation.HasErrors"/> is false) and its files.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sources"/> is null or holds null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public static TarsIdlCompilation Compile(IEnumerable<TarsIdlSource> sources, ITarsIdlIncludeResolver? includeResolver = null, TarsIdlOptions? options = null)
    {
        if (sources is null) throw new ArgumentNullException(nameof(sources));
        options ??= TarsIdlOptions.Default;
        options.Validate();
        var diagnostics = new DiagnosticBag();
        var loader = new SourceLoader(includeResolver, options, diagnostics);
        foreach (var source in sources)
        {
            if (source is null) throw new ArgumentNullException(nameof(sources), "The list of .tars sources holds a null entry.");
            loader.Load(source);
        }
        new Binder(diagnostics).Bind(loader.Files);
        return new TarsIdlCompilation(loader.Files, diagnostics.Items, options);
    }
}
