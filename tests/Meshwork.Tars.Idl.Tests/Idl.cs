using Meshwork.Tars.Idl;

namespace Meshwork.Tars.Idl.Tests;

/// <summary>Compiles IDL text held in memory; includes resolve among the given files by name.</summary>
internal static class Idl
{
    public static TarsIdlCompilation Compile(string text, TarsIdlOptions? options = null) => CompileFiles([("main.tars", text)], options);

    public static TarsIdlCompilation CompileFiles((string Path, string Text)[] files, TarsIdlOptions? options = null) =>
        TarsIdlCompiler.Compile([new TarsIdlSource(files[0].Path, files[0].Text)], new MemoryResolver(files), options);

    /// <summary>The only error of a compilation that must fail with exactly one.</summary>
    public static TarsIdlDiagnostic SingleError(string text, TarsIdlOptions? options = null)
    {
        var compilation = Compile(text, options);
        Assert.True(compilation.Diagnostics.Count == 1, "expected one error, got:\n" + string.Join("\n", compilation.Diagnostics));
        return compilation.Diagnostics[0];
    }

    private sealed class MemoryResolver((string Path, string Text)[] files) : ITarsIdlIncludeResolver
    {
        public TarsIdlSource? Resolve(string includingPath, string includePath)
        {
            foreach (var (path, text) in files)
            {
                if (path == includePath) return new TarsIdlSource(path, text);
            }
            return null;
        }
    }
}
