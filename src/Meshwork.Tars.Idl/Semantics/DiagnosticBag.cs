using System.Collections.Generic;

namespace Meshwork.Tars.Idl.Semantics;

/// <summary>Collects the errors of one compilation.</summary>
internal sealed class DiagnosticBag
{
    public List<TarsIdlDiagnostic> Items { get; } = [];

    public void Add(TarsIdlErrorCode code, string message, SourceSpan span) => Items.Add(new TarsIdlDiagnostic(code, message, span));
}
