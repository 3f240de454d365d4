using System.CommandLine;
using Meshwork.Tars.Idl;

namespace Meshwork.Cli.Tars;

/// <summary>
/// <c>meshwork tars2cs</c>: compiles .tars files to C# with the same compiler the source generator uses, so the files it
/// writes equal what the generator would add to a build.
/// </summary>
internal static class Tars2CsCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "The .tars files to compile", Arity = ArgumentArity.OneOrMore };
        var output = new Option<string>("--output", "-o") { Description = "Folder for the generated .cs files (created if missing)", Required = true };
        var include = new Option<string[]>("--include", "-I") { Description = "Extra folder to search for #include files (repeatable); the including file's folder is searched first" };
        var rootNamespace = new Option<string?>("--root-namespace") { Description = "Namespace put in front of every module's namespace (default: none)" };
        var reserved = new Option<bool>("--allow-reserved-names") { Description = "Allow names starting with 'tars' (framework contracts such as QueryF.tars)" };
        var command = new Command("tars2cs", "Compile .tars IDL files to C# (structs, enums, constants, service interfaces, proxies, dispatchers)")
        {
            files, output, include, rootNamespace, reserved,
        };
        command.SetAction(result => Run(
            result.GetValue(files)!,
            result.GetValue(output)!,
            result.GetValue(include) ?? [],
            new TarsIdlOptions { RootNamespace = result.GetValue(rootNamespace), AllowReservedNames = result.GetValue(reserved) }));
        return command;
    }

    /// <summary>Returns 0 when every file compiled and was written, 1 for IDL errors, 2 for unusable arguments.</summary>
    private static int Run(string[] files, string outputFolder, string[] includeFolders, TarsIdlOptions options)
    {
        var resolver = new FileSystemResolver(includeFolders, options.MaxFileLength);
        var sources = new List<TarsIdlSource>();
        foreach (var file in files)
        {
            var source = resolver.Load(file, out var problem);
            if (source is null)
            {
                Console.Error.WriteLine($"error: {file}: {problem}");
                return 2;
            }
            sources.Add(source);
        }
        var compilation = TarsIdlCompiler.Compile(sources, resolver, options);
        if (compilation.HasErrors)
        {
            foreach (var diagnostic in compilation.Diagnostics) Console.Error.WriteLine(diagnostic.ToString());
            Console.Error.WriteLine($"{compilation.Diagnostics.Count} error(s); nothing written.");
            return 1;
        }
        Directory.CreateDirectory(outputFolder);
        foreach (var generated in compilation.EmitCSharp())
        {
            var path = Path.Combine(outputFolder, generated.FileName);
            File.WriteAllText(path, generated.Text);
            Console.WriteLine(path);
        }
        return 0;
    }

    /// <summary>
    /// Reads .tars files from disk. A file keeps the path it was first reached by (as given, or its includer's folder
    /// plus the included name), so messages show familiar paths; a file reached twice is read and compiled once.
    /// </summary>
    private sealed class FileSystemResolver(string[] includeFolders, int maxFileLength) : ITarsIdlIncludeResolver
    {
        private readonly Dictionary<string, TarsIdlSource> _byFullPath = new(StringComparer.Ordinal);

        public TarsIdlSource? Resolve(string includingPath, string includePath)
        {
            var candidates = new List<string> { Path.Combine(Path.GetDirectoryName(includingPath) ?? "", includePath) };
            candidates.AddRange(includeFolders.Select(folder => Path.Combine(folder, includePath)));
            foreach (var candidate in candidates)
            {
                if (File.Exists(candidate)) return Load(candidate, out _);
            }
            return null;
        }

        public TarsIdlSource? Load(string path, out string problem)
        {
            problem = "";
            var info = new FileInfo(path);
            if (_byFullPath.TryGetValue(info.FullName, out var known)) return known;
            if (!info.Exists)
            {
                problem = "no such file";
                return null;
            }
            // A UTF-8 character takes at most 4 bytes: a file this long cannot be within the character limit.
            if (info.Length > 4L * maxFileLength)
            {
                problem = $"the file has {info.Length} bytes, far more than the {maxFileLength} characters a .tars file may have";
                return null;
            }
            try
            {
                var source = new TarsIdlSource(path, File.ReadAllText(info.FullName));
                _byFullPath[info.FullName] = source;
                return source;
            }
            catch (IOException e)
            {
                problem = e.Message;
                return null;
            }
            catch (UnauthorizedAccessException e)
            {
                problem = e.Message;
                return null;
            }
        }
    }
}
