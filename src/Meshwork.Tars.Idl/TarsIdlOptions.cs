using System;

namespace Meshwork.Tars.Idl;

/// <summary>Settings of the <c>.tars</c> compiler. Every limit guards the compiler against hostile or broken input.</summary>
public sealed class TarsIdlOptions
{
    /// <summary>The defaults described on each property.</summary>
    public static TarsIdlOptions Default { get; } = new();

    /// <summary>
    /// Allows names that start with <c>tars</c> (default <see langword="false"/>). TARS compilers reserve these for the
    /// framework's own contracts (for example the registry's <c>QueryF.tars</c>); set this to compile such contracts.
    /// </summary>
    public bool AllowReservedNames { get; init; }

    /// <summary>
    /// The deepest nesting of modules and of type arguments (<c>vector&lt;map&lt;...&gt;&gt;</c>) accepted (default 32).
    /// Real contracts stay far below it; the limit keeps the recursive parser's stack bounded.
    /// </summary>
    public int MaxNestingDepth { get; init; } = 32;

    /// <summary>The longest chain of <c>#include</c> directives followed (default 64), a bound on the files a compilation reads.</summary>
    public int MaxIncludeDepth { get; init; } = 64;

    /// <summary>The largest file accepted, in characters (default 4 MiB); real contracts are a few KiB.</summary>
    public int MaxFileLength { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// A namespace put in front of every module's namespace (default none: module <c>A</c> becomes namespace <c>A</c>).
    /// </summary>
    public string? RootNamespace { get; init; }

    internal void Validate()
    {
        if (MaxNestingDepth < 1) throw new ArgumentOutOfRangeException(nameof(MaxNestingDepth), MaxNestingDepth, "MaxNestingDepth must be at least 1.");
        if (MaxIncludeDepth < 1) throw new ArgumentOutOfRangeException(nameof(MaxIncludeDepth), MaxIncludeDepth, "MaxIncludeDepth must be at least 1.");
        if (MaxFileLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxFileLength), MaxFileLength, "MaxFileLength must be at least 1.");
    }
}
