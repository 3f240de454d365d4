using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Meshwork.Tars.Generators;

/// <summary>One descriptor per kind of .tars error (ids match TarsIdlErrorCode); the message is the compiler's own sentence.</summary>
internal static class TarsDiagnostics
{
    private const string Category = "Meshwork.Tars";

    public static readonly DiagnosticDescriptor Syntax = Create("MWT001", ".tars syntax error");

    public static readonly DiagnosticDescriptor UnknownType = Create("MWT002", "Unknown type in a .tars file");

    public static readonly DiagnosticDescriptor DuplicateTag = Create("MWT003", "Duplicate field tag in a .tars struct");

    public static readonly DiagnosticDescriptor TagOutOfRange = Create("MWT004", "Field tag outside 0..255");

    public static readonly DiagnosticDescriptor BadValue = Create("MWT005", "Value does not fit its type");

    public static readonly DiagnosticDescriptor IncludeNotFound = Create("MWT006", "Included .tars file not found");

    public static readonly DiagnosticDescriptor IncludeCycle = Create("MWT007", "Include cycle between .tars files");

    public static readonly DiagnosticDescriptor DuplicateName = Create("MWT008", "Duplicate name in a .tars file");

    public static readonly DiagnosticDescriptor InvalidName = Create("MWT009", "Keyword or reserved name used as a name");

    public static readonly DiagnosticDescriptor InvalidToken = Create("MWT010", "Unreadable token in a .tars file");

    public static readonly DiagnosticDescriptor InvalidKey = Create("MWT011", "Invalid key[...]");

    public static readonly DiagnosticDescriptor InvalidTypeUse = Create("MWT012", "Type used where it is not allowed");

    public static readonly DiagnosticDescriptor LimitExceeded = Create("MWT013", ".tars compiler limit exceeded");

    public static readonly DiagnosticDescriptor NameCollision = Create("MWT014", "IDL names collide in C#");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new()
    {
        [Syntax.Id] = Syntax,
        [UnknownType.Id] = UnknownType,
        [DuplicateTag.Id] = DuplicateTag,
        [TagOutOfRange.Id] = TagOutOfRange,
        [BadValue.Id] = BadValue,
        [IncludeNotFound.Id] = IncludeNotFound,
        [IncludeCycle.Id] = IncludeCycle,
        [DuplicateName.Id] = DuplicateName,
        [InvalidName.Id] = InvalidName,
        [InvalidToken.Id] = InvalidToken,
        [InvalidKey.Id] = InvalidKey,
        [InvalidTypeUse.Id] = InvalidTypeUse,
        [LimitExceeded.Id] = LimitExceeded,
        [NameCollision.Id] = NameCollision,
    };

    /// <summary>The descriptor for an id; an id this table does not know (a newer compiler) is reported as a syntax error.</summary>
    public static DiagnosticDescriptor For(string id) => s_byId.TryGetValue(id, out var descriptor) ? descriptor : Syntax;

    private static DiagnosticDescriptor Create(string id, string title) =>
        new(id, title, "{0}", Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
