using System;

namespace Meshwork.Tars.Idl.Syntax;

/// <summary>Stops parsing a file at its first syntax error; the compiler turns it into a diagnostic.</summary>
internal sealed class IdlSyntaxException : Exception
{
    public IdlSyntaxException(TarsIdlErrorCode code, string message, SourceSpan span)
        : base(message)
    {
        Code = code;
        Span = span;
    }

    public TarsIdlErrorCode Code { get; }

    public SourceSpan Span { get; }
}
