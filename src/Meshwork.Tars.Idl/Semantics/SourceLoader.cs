using System.Collections.Generic;
using Meshwork.Tars.Idl.Syntax;

namespace Meshwork.Tars.Idl.Semantics;

/// <summary>
/// Parses the root files and everything they include, each file once, included files before the files that include
/// them; reports missing includes, include cycles and over-long include chains.
/// </summary>
internal sealed class SourceLoader(ITarsIdlIncludeResolver? resolver, TarsIdlOptions options, DiagnosticBag diagnostics)
{
    private readonly Dictionary<string, IdlFile?> _loaded = new(System.StringComparer.Ordinal);
    private readonly List<string> _stack = [];

    /// <summary>Every file parsed without a syntax error, in dependency order.</summary>
    public List<IdlFile> Files { get; } = [];

    public void Load(TarsIdlSource source) => Load(source, null);

    private void Load(TarsIdlSource source, IncludeDirective? via)
    {
        if (_loaded.ContainsKey(source.Path))
        {
            if (_stack.Contains(source.Path) && via is not null)
            {
                var chain = string.Join(" -> ", _stack.GetRange(_stack.IndexOf(source.Path), _stack.Count - _stack.IndexOf(source.Path))) + " -> " + source.Path;
                diagnostics.Add(TarsIdlErrorCode.IncludeCycle, "#include \"" + via.Path + "\" closes an include cycle: " + chain + ".", via.Span);
            }
            return;
        }
        if (via is not null && _stack.Count >= options.MaxIncludeDepth)
        {
            diagnostics.Add(TarsIdlErrorCode.LimitExceeded, "#include \"" + via.Path + "\" is nested more than " + options.MaxIncludeDepth + " files deep (MaxIncludeDepth).", via.Span);
            return;
        }
        _loaded[source.Path] = null;
        if (source.Text.Length > options.MaxFileLength)
        {
            diagnostics.Add(TarsIdlErrorCode.LimitExceeded,
                "The file has " + source.Text.Length + " characters, more than the " + options.MaxFileLength + " allowed (MaxFileLength).", new SourceSpan(source.Path, 1, 1, 0, 0));
            return;
        }
        IdlFile file;
        try
        {
            file = Parser.Parse(source.Path, source.Text, options);
        }
        catch (IdlSyntaxException e)
        {
            diagnostics.Add(e.Code, e.Message, e.Span);
            return;
        }
        _stack.Add(source.Path);
        foreach (var include in file.Includes)
        {
            var target = resolver?.Resolve(source.Path, include.Path);
            if (target is null)
            {
                diagnostics.Add(TarsIdlErrorCode.IncludeNotFound, "Cannot find the included file \"" + include.Path + "\".", include.Span);
                continue;
            }
            Load(target, include);
        }
        _stack.RemoveAt(_stack.Count - 1);
        _loaded[source.Path] = file;
        Files.Add(file);
    }
}
