using System;
using System.Collections.Generic;
using System.Linq;
using Meshwork.Tars.Idl.Emit;
using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl;

/// <summary>The result of compiling <c>.tars</c> files: the errors found and, when there are none, the C# to generate.</summary>
public sealed class TarsIdlCompilation
{
    private readonly TarsIdlOptions _options;

    internal TarsIdlCompilation(IReadOnlyList<IdlFile> files, IReadOnlyList<TarsIdlDiagnostic> diagnostics, TarsIdlOptions options)
    {
        Files = files;
        _options = options;
        Diagnostics = diagnostics.OrderBy(d => d.Path, StringComparer.Ordinal).ThenBy(d => d.Offset).ToArray();
    }

    /// <summary>Every error, ordered by file and position.</summary>
    public IReadOnlyList<TarsIdlDiagnostic> Diagnostics { get; }

    /// <summary>True when there is at least one error; nothing is generated then.</summary>
    public bool HasErrors => Diagnostics.Count > 0;

    /// <summary>The paths of every file compiled (the given ones and those they include), included files first.</summary>
    public IEnumerable<string> FilePaths => Files.Select(f => f.Path);

    internal IReadOnlyList<IdlFile> Files { get; }

    /// <summary>Generates one C# file per compiled <c>.tars</c> file.</summary>
    /// <returns>The generated files, named after their <c>.tars</c> file (<c>user.tars</c> becomes <c>user.tars.g.cs</c>).</returns>
    /// <exception cref="InvalidOperationException">The compilation has errors.</exception>
    public IReadOnlyList<TarsGeneratedFile> EmitCSharp()
    {
        if (HasErrors) throw new InvalidOperationException("The .tars compilation has " + Diagnostics.Count + " error(s); fix them before generating code. First: " + Diagnostics[0]);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var result = new List<TarsGeneratedFile>();
        foreach (var file in Files)
        {
            var name = GeneratedFileName(file.Path, used);
            result.Add(new TarsGeneratedFile(file.Path, name, CSharpEmitter.Emit(file, _options)));
        }
        return result;
    }

    private static string GeneratedFileName(string path, HashSet<string> used)
    {
        var slash = Math.Max(path.LastIndexOf('/'), path.LastIndexOf('\\'));
        var stem = path.Substring(slash + 1);
        var name = stem + ".g.cs";
        // Two files of the same name in different folders still get distinct outputs.
        for (var i = 2; !used.Add(name); i++) name = stem + "." + i + ".g.cs";
        return name;
    }
}
