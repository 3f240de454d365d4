namespace Meshwork.Testing;

/// <summary>Locates the repository the tests were built from, and copies parts of it for builds that must not touch its outputs.</summary>
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

    /// <summary>
    /// Copies the repository's build files and the given folders (relative to <see cref="Root"/>) into a new temporary
    /// folder, leaving out bin and obj, so that a publish there cannot collide with the test build's outputs.
    /// Delete it with <see cref="DeleteCopy"/>.
    /// </summary>
    public static string CopySources(params string[] folders)
    {
        string work = Path.Combine(Path.GetTempPath(), "meshwork-copy-" + Guid.NewGuid().ToString("N"));
        foreach (var dir in folders) CopyTree(Path.Combine(Root, dir), Path.Combine(work, dir));
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", ".editorconfig" })
        {
            File.Copy(Path.Combine(Root, file), Path.Combine(work, file));
        }
        return work;
    }

    /// <summary>Deletes a folder made by <see cref="CopySources"/>; a failure to delete is not the test's failure.</summary>
    public static void DeleteCopy(string work)
    {
        try
        {
            Directory.Delete(work, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            string name = Path.GetFileName(dir);
            if (name is "bin" or "obj" or "node_modules") continue;
            CopyTree(dir, Path.Combine(to, name));
        }
    }
}
