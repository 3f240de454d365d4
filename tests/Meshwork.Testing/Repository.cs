namespace Meshwork.Testing;

/// <summary>Locates the repository the tests were built from.</summary>
public static class Repository
{
    /// <summary>The folder holding Meshwork.slnx, found upwards from the test binaries.</summary>
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Meshwork.slnx"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException($"{AppContext.BaseDirectory} is not inside the repository");
        }
    }
}
