using Meshwork.Tars.Idl;

namespace Meshwork.Cli.Tests;

/// <summary><c>meshwork tars2cs</c> run as a real process on files in a temporary folder.</summary>
public sealed class Tars2CsTests : IDisposable
{
    private const string Common = "module Common { struct Id { 0 require long value; }; };";
    private const string App = "#include \"shared/common.tars\"\nmodule App {\n    struct Req { 0 require Common::Id id; 1 optional string note = \"n\"; };\n    enum Kind { A, B = 4 };\n    const int LIMIT = 9;\n};";

    private readonly string _folder = Directory.CreateTempSubdirectory("tars2cs-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Writes_one_file_per_tars_file_equal_to_the_compiler_output()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "idl", "shared"));
        File.WriteAllText(Path.Combine(_folder, "idl", "app.tars"), App);
        File.WriteAllText(Path.Combine(_folder, "idl", "shared", "common.tars"), Common);

        var (code, stdout, stderr) = await ProcessRunner.RunAsync("dotnet", [MeshworkCli.BinaryPath, "tars2cs", "idl/app.tars", "-o", "out"], workingDirectory: _folder);

        Assert.True(code == 0, stderr);
        Assert.Contains(Path.Combine("out", "app.tars.g.cs"), stdout, StringComparison.Ordinal);
        var expected = TarsIdlCompiler.Compile([new TarsIdlSource("idl/app.tars", App)], new Resolver("idl/shared/common.tars", Common)).EmitCSharp();
        Assert.Equal(["app.tars.g.cs", "common.tars.g.cs"], Directory.GetFiles(Path.Combine(_folder, "out")).Select(Path.GetFileName).Order());
        foreach (var file in expected) Assert.Equal(file.Text, File.ReadAllText(Path.Combine(_folder, "out", file.FileName)));
        Assert.Contains("public sealed partial class Req", File.ReadAllText(Path.Combine(_folder, "out", "app.tars.g.cs")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Include_folders_are_searched_after_the_including_files_folder()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "lib", "shared"));
        File.WriteAllText(Path.Combine(_folder, "app.tars"), App);
        File.WriteAllText(Path.Combine(_folder, "lib", "shared", "common.tars"), Common);

        var (code, _, stderr) = await ProcessRunner.RunAsync("dotnet", [MeshworkCli.BinaryPath, "tars2cs", "app.tars", "-I", "lib", "-o", "out"], workingDirectory: _folder);

        Assert.True(code == 0, stderr);
        Assert.True(File.Exists(Path.Combine(_folder, "out", "common.tars.g.cs")));
    }

    [Fact]
    public async Task Bad_idl_prints_file_line_and_column_and_writes_nothing()
    {
        File.WriteAllText(Path.Combine(_folder, "bad.tars"), "module M {\n    struct S { 0 optional int a; 0 optional Unknown b; };\n};");

        var (code, _, stderr) = await ProcessRunner.RunAsync("dotnet", [MeshworkCli.BinaryPath, "tars2cs", "bad.tars", "-o", "out"], workingDirectory: _folder);

        Assert.Equal(1, code);
        Assert.Contains("bad.tars(2,34): error MWT003: Tag 0 of field 'b' is already used by field 'a'", stderr, StringComparison.Ordinal);
        Assert.Contains("bad.tars(2,45): error MWT002: Unknown type 'Unknown'", stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_folder, "out")));
    }

    [Fact]
    public async Task Missing_input_file_is_a_usage_error()
    {
        var (code, _, stderr) = await ProcessRunner.RunAsync("dotnet", [MeshworkCli.BinaryPath, "tars2cs", "nowhere.tars", "-o", "out"], workingDirectory: _folder);

        Assert.Equal(2, code);
        Assert.Contains("nowhere.tars: no such file", stderr, StringComparison.Ordinal);
    }

    private sealed class Resolver(string path, string text) : ITarsIdlIncludeResolver
    {
        public TarsIdlSource? Resolve(string includingPath, string includePath) => new(path, text);
    }
}
