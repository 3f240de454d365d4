namespace Meshwork.Tars.Idl;

/// <summary>Finds the file an <c>#include</c> directive names.</summary>
/// <remarks>
/// The compiler does no file I/O itself, so that the Roslyn source generator (which may only read its
/// <c>AdditionalFiles</c>) and the command line (which reads the disk) share it.
/// </remarks>
public interface ITarsIdlIncludeResolver
{
    /// <summary>Resolves <paramref name="includePath"/>, written in <paramref name="includingPath"/>.</summary>
    /// <param name="includingPath">The path of the file that contains the directive.</param>
    /// <param name="includePath">The path as written between the quotes.</param>
    /// <returns>The included file, or <see langword="null"/> when it cannot be found.</returns>
    TarsIdlSource? Resolve(string includingPath, string includePath);
}
