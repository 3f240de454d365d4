using System;
using System.Collections.Generic;
using Meshwork.Tars.Idl;

namespace Meshwork.Tars.Generators;

/// <summary>
/// Resolves <c>#include</c> among the .tars AdditionalFiles (a generator may not read the disk): first relative to the
/// including file's folder, then any listed file whose path ends with the included path.
/// </summary>
internal sealed class AdditionalFilesResolver : ITarsIdlIncludeResolver
{
    private readonly Dictionary<string, IdlInput> _byNormalizedPath = new(StringComparer.Ordinal);
    private readonly List<IdlInput> _inputs;

    public AdditionalFilesResolver(List<IdlInput> inputs)
    {
        _inputs = inputs;
        foreach (var input in inputs) _byNormalizedPath[Normalize(input.Path)] = input;
    }

    public TarsIdlSource? Resolve(string includingPath, string includePath)
    {
        var folder = Normalize(includingPath);
        var slash = folder.LastIndexOf('/');
        folder = slash < 0 ? "" : folder.Substring(0, slash + 1);
        if (_byNormalizedPath.TryGetValue(Normalize(folder + includePath), out var relative)) return ToSource(relative);
        var suffix = "/" + Normalize(includePath);
        IdlInput? match = null;
        foreach (var input in _inputs)
        {
            if (!Normalize(input.Path).EndsWith(suffix, StringComparison.Ordinal)) continue;
            if (match is not null) return null; // two candidates: ambiguous, report it as not found rather than guess
            match = input;
        }
        return match is null ? null : ToSource(match);
    }

    private static TarsIdlSource? ToSource(IdlInput input) => input.Text is null ? null : new TarsIdlSource(input.Path, input.Text);

    /// <summary>Forward slashes, no "." segments, ".." folded into its parent.</summary>
    public static string Normalize(string path)
    {
        var parts = new List<string>();
        var rooted = path.StartsWith("/", StringComparison.Ordinal) || path.StartsWith("\\", StringComparison.Ordinal);
        foreach (var part in path.Replace('\\', '/').Split('/'))
        {
            if (part.Length == 0 || part == ".") continue;
            if (part == ".." && parts.Count > 0 && parts[parts.Count - 1] != "..") parts.RemoveAt(parts.Count - 1);
            else parts.Add(part);
        }
        return (rooted ? "/" : "") + string.Join("/", parts);
    }
}
