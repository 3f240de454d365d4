using Microsoft.CodeAnalysis;

namespace Meshwork.Rpc.Generators.Tests;

/// <summary>Each contract mistake is reported with its own id, as an error, at the offending member.</summary>
public sealed class DiagnosticTests
{
    private const string Usings = """
        using System.Collections.Generic;
        using System.Threading;
        using System.Threading.Tasks;
        using Meshwork.Rpc;

        namespace Bad;

        """;

    private static Diagnostic Single(string source, string id, params string[] messageParts)
    {
        var output = GeneratorHarness.Run(Usings + source);
        var diagnostic = Assert.Single(output.GeneratorDiagnostics);
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(DiagnosticSeverity.Error, diagnostic.Severity);
        Assert.Equal("Meshwork.Rpc", diagnostic.Descriptor.Category);
        Assert.NotEqual(Location.None, diagnostic.Location);
        var message = diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var part in messageParts) Assert.Contains(part, message);
        // A broken contract emits nothing, so the only errors the user sees are the generator's own.
        Assert.Empty(output.Sources);
        return diagnostic;
    }

    [Fact]
    public void MoreThanOneMessageParameter() =>
        Single("[RpcService] public interface IS { Task<int> AddAsync(int a, int b, CancellationToken ct); }", "MW0001", "AddAsync", "2");

    [Theory]
    [InlineData("int Get();", "int")]
    [InlineData("void Run(string x);", "void")]
    [InlineData("Task<IAsyncEnumerable<int>> ListAsync();", "Task<IAsyncEnumerable<int>>")]
    [InlineData("IEnumerable<int> List();", "IEnumerable<int>")]
    public void UnsupportedReturnType(string member, string typeName) =>
        Single("[RpcService] public interface IS { " + member + " }", "MW0002", typeName);

    [Fact]
    public void GenericMethod() =>
        Single("[RpcService] public interface IS { Task<T> GetAsync<T>(T value); }", "MW0003", "GetAsync<T>");

    [Fact]
    public void NotAnInterface()
    {
        // The compiler also rejects the attribute target (CS0592); the generator must still not emit anything for it.
        var output = GeneratorHarness.Run(Usings + "[RpcService] public class S { }");
        var diagnostic = Assert.Single(output.GeneratorDiagnostics);
        Assert.Equal("MW0004", diagnostic.Id);
        Assert.Contains("'S'", diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Empty(output.Sources);
    }

    [Fact]
    public void DuplicateWireNames() =>
        Single("""
            [RpcService] public interface IS
            {
                Task<int> GetAsync(int id);
                Task<int> Get(string name);
            }
            """, "MW0005", "Get", "'Get'");

    [Fact]
    public void DuplicateWireNamesFromAttribute() =>
        Single("""
            [RpcService] public interface IS
            {
                Task<int> ReadAsync(int id);
                [RpcMethod(Name = "Read")] Task<int> LoadAsync(int id);
            }
            """, "MW0005", "LoadAsync", "ReadAsync");

    [Theory]
    [InlineData("Task<int> FireAsync(int x);", "Task<int>")]
    [InlineData("IAsyncEnumerable<int> FireAsync(int x);", "IAsyncEnumerable<int>")]
    [InlineData("Task FireAsync(IAsyncEnumerable<int> xs);", "request stream")]
    public void OneWayWithAResult(string member, string reason) =>
        Single("[RpcService] public interface IS { [RpcMethod(OneWay = true)] " + member + " }", "MW0006", "FireAsync", reason);

    [Theory]
    [InlineData("ref", "ref int x")]
    [InlineData("out", "out int x")]
    [InlineData("in", "in int x")]
    public void ByRefParameter(string kind, string parameter) =>
        Single("[RpcService] public interface IS { Task<int> GetAsync(" + parameter + "); }", "MW0007", "'x'", kind);

    [Theory]
    [InlineData("int Count { get; }", "Property", "Count")]
    [InlineData("event System.EventHandler Changed;", "Event", "Changed")]
    [InlineData("int this[int i] { get; }", "Indexer", "this[]")]
    [InlineData("static abstract Task<int> MakeAsync();", "Static abstract method", "MakeAsync")]
    public void PropertiesAndEvents(string member, string kind, string name) =>
        Single("[RpcService] public interface IS { Task<int> GetAsync(); " + member + " }", "MW0008", kind, name);

    [Fact]
    public void GenericInterface() =>
        Single("[RpcService] public interface IS<T> { Task<T> GetAsync(); }", "MW0009", "generic");

    [Fact]
    public void PrivateNestedInterface() =>
        Single("public class Outer { [RpcService] private interface IS { Task<int> GetAsync(); } }", "MW0009", "public or internal");

    [Fact]
    public void FileLocalInterface() =>
        Single("[RpcService] file interface IS { Task<int> GetAsync(); }", "MW0009", "file-local");

    [Theory]
    [InlineData("Task<int> GetAsync(CancellationToken a, CancellationToken b);", "CancellationToken")]
    [InlineData("Task<int> GetAsync(CallOptions a, CallOptions b);", "CallOptions")]
    public void RepeatedSpecialParameter(string member, string kind) =>
        Single("[RpcService] public interface IS { " + member + " }", "MW0010", kind);

    [Fact]
    public void RefStructMessage() =>
        Single("[RpcService] public interface IS { Task<int> GetAsync(System.ReadOnlySpan<byte> data); }", "MW0011", "ReadOnlySpan<byte>");

    [Fact]
    public void EveryProblemInAContractIsReported()
    {
        var output = GeneratorHarness.Run(Usings + """
            [RpcService] public interface IS
            {
                int Count { get; }
                Task<int> AddAsync(int a, int b);
                Task<T> GetAsync<T>();
            }
            """);
        Assert.Equal(["MW0001", "MW0003", "MW0008"], output.GeneratorDiagnostics.Select(d => d.Id).Order().ToArray());
    }
}
