namespace Meshwork.Rpc;

/// <summary>The message of a method that takes no argument or returns no value. Encoded as a zero-length body by every serializer.</summary>
public readonly struct Empty : IEquatable<Empty>
{
    public static readonly Empty Value = default;
    public bool Equals(Empty other) => true;
    public override bool Equals(object? obj) => obj is Empty;
    public override int GetHashCode() => 0;
}
