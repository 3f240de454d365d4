namespace Meshwork.Rpc;

/// <summary>The message of a method that takes no argument or returns no value. Encoded as a zero-length body by every serializer.</summary>
public readonly struct Empty : IEquatable<Empty>
{
    /// <summary>The one value of this type.</summary>
    public static readonly Empty Value = default;
    /// <summary>Always true: all values are equal.</summary>
    public bool Equals(Empty other) => true;
    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Empty;
    /// <inheritdoc/>
    public override int GetHashCode() => 0;
}
