namespace Meshwork.Tars;

/// <summary>
/// The in-parameters of one call, written through a <see cref="TarsParameterWriter"/> that knows the wire version
/// (by tag for TARS v1, by name for TUP). Generated proxies implement it per method.
/// </summary>
public interface ITarsArguments
{
    /// <summary>Writes every in-parameter (tag = 1-based position counting in and out parameters, name = IDL name).</summary>
    /// <param name="writer">The writer.</param>
    void WriteTo(TarsParameterWriter writer);
}
