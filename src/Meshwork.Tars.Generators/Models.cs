using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace Meshwork.Tars.Generators;

/// <summary>One .tars AdditionalFile: its path and text (null when the text could not be read).</summary>
internal sealed record IdlInput(string Path, string? Text);

/// <summary>Settings from MSBuild properties (TarsRootNamespace, TarsAllowReservedNames).</summary>
internal sealed record GeneratorSettings(string? RootNamespace, bool AllowReservedNames);

/// <summary>A generated file.</summary>
internal sealed record GeneratedSource(string HintName, string Text);

/// <summary>An error, with everything needed to place it in its .tars file.</summary>
internal sealed record ErrorInfo(string Id, string Message, string Path, int Offset, int Length, int Line, int Column);

/// <summary>What one run of the compiler produced; compares by content so unchanged input means no new output.</summary>
internal sealed record GenerationResult(ValueList<GeneratedSource> Sources, ValueList<ErrorInfo> Errors);

/// <summary>An immutable list with value equality, for the incremental pipeline.</summary>
internal readonly struct ValueList<T> : IEquatable<ValueList<T>>, IEnumerable<T>
    where T : IEquatable<T>
{
    private readonly T[]? _items;

    public ValueList(IEnumerable<T> items) => _items = items.ToArray();

    public int Count => _items?.Length ?? 0;

    public bool Equals(ValueList<T> other) => (_items ?? []).SequenceEqual(other._items ?? []);

    public override bool Equals(object? obj) => obj is ValueList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = 17;
        foreach (var item in _items ?? []) hash = unchecked((hash * 31) + item.GetHashCode());
        return hash;
    }

    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? [])).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
