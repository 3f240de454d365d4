using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace Meshwork.Rpc.Generators;

/// <summary>Everything the emitter needs about one [RpcService] interface. Holds strings only, never symbols or syntax.</summary>
internal sealed record ServiceModel(
    string? Namespace,
    string InterfaceFullName,
    bool IsPublic,
    string ServiceName,
    string BaseName,
    string HintName,
    EquatableArray<MethodModel> Methods,
    EquatableArray<DiagnosticInfo> Diagnostics)
{
    public bool HasErrors => Diagnostics.Count > 0;
}

internal enum RpcKind
{
    Unary,
    OneWay,
    ServerStreaming,
    ClientStreaming,
    DuplexStreaming,
}

/// <summary>How the C# method hands back its result.</summary>
internal enum ReturnShape
{
    Task,
    ValueTask,
    TaskOfT,
    ValueTaskOfT,
    AsyncEnumerable,
}

internal enum MessageFormat
{
    Plain,
    Shapeable,
    Protobuf,
}

internal enum ParameterRole
{
    Message,
    CancellationToken,
    CallOptions,
}

internal sealed record MethodModel(
    string Identifier,
    string FieldName,
    string WireName,
    RpcKind Kind,
    ReturnShape Return,
    string ReturnTypeName,
    MessageModel Request,
    MessageModel Response,
    bool Idempotent,
    EquatableArray<ParameterModel> Parameters);

/// <summary>One message type. <see cref="TypeName"/> keeps the nullable annotation; <see cref="BareTypeName"/> drops it.</summary>
internal sealed record MessageModel(string TypeName, string BareTypeName, MessageFormat Format, bool IsEmpty)
{
    public static readonly MessageModel Empty = new("global::Meshwork.Rpc.Empty", "global::Meshwork.Rpc.Empty", MessageFormat.Plain, true);
}

internal sealed record ParameterModel(string Identifier, string TypeName, ParameterRole Role, string? DefaultValue);

/// <summary>A source location that compares by value.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null) return null;
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }
}

internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(RpcDiagnostics.ById(Id), Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None, Arguments.ToObjectArray());
}
