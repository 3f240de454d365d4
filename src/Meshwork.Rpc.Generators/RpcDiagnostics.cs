using System.Collections.Generic;
using Microsoft.CodeAnalysis;

namespace Meshwork.Rpc.Generators;

/// <summary>Errors the generator reports for contracts it cannot turn into a proxy and dispatcher.</summary>
internal static class RpcDiagnostics
{
    private const string Category = "Meshwork.Rpc";

    public static readonly DiagnosticDescriptor TooManyMessageParameters = Create(
        "MW0001",
        "RPC method has more than one message parameter",
        "Method '{0}' of service '{1}' has {2} message parameters; an RPC method takes at most one message (plus an optional CancellationToken and CallOptions)");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Create(
        "MW0002",
        "Unsupported RPC return type",
        "Method '{0}' of service '{1}' returns '{2}'; RPC methods must return Task, ValueTask, Task<T>, ValueTask<T> or IAsyncEnumerable<T>");

    public static readonly DiagnosticDescriptor GenericMethod = Create(
        "MW0003",
        "RPC method is generic",
        "Method '{0}' of service '{1}' is generic; RPC methods cannot have type parameters");

    public static readonly DiagnosticDescriptor NotAnInterface = Create(
        "MW0004",
        "[RpcService] is only valid on interfaces",
        "'{0}' is marked [RpcService] but is not an interface; only interfaces can be RPC service contracts");

    public static readonly DiagnosticDescriptor DuplicateMethodName = Create(
        "MW0005",
        "Duplicate RPC method name",
        "Method '{0}' of service '{1}' uses the wire name '{2}', which method '{3}' already uses; rename one or set [RpcMethod(Name = ...)]");

    public static readonly DiagnosticDescriptor InvalidOneWay = Create(
        "MW0006",
        "One-way method must not return a result",
        "Method '{0}' of service '{1}' is marked OneWay but {2}; a one-way method must return Task or ValueTask and take no request stream");

    public static readonly DiagnosticDescriptor ByRefParameter = Create(
        "MW0007",
        "RPC method parameter is passed by reference",
        "Parameter '{0}' of method '{1}' of service '{2}' is declared '{3}'; RPC method parameters must be passed by value");

    public static readonly DiagnosticDescriptor UnsupportedMember = Create(
        "MW0008",
        "RPC contract has an unsupported member",
        "{0} '{1}' of service '{2}' is not supported; RPC contracts may only declare instance methods");

    public static readonly DiagnosticDescriptor UnsupportedInterface = Create(
        "MW0009",
        "RPC contract interface cannot be generated",
        "Service interface '{0}' {1}");

    public static readonly DiagnosticDescriptor DuplicateSpecialParameter = Create(
        "MW0010",
        "Repeated CancellationToken or CallOptions parameter",
        "Method '{0}' of service '{1}' has more than one {2} parameter");

    public static readonly DiagnosticDescriptor UnsupportedMessageType = Create(
        "MW0011",
        "Type cannot be an RPC message",
        "Method '{0}' of service '{1}' uses '{2}' as a message; messages cannot be pointers, ref structs, type parameters, tasks or nested streams");

    private static readonly Dictionary<string, DiagnosticDescriptor> s_byId = new()
    {
        [TooManyMessageParameters.Id] = TooManyMessageParameters,
        [UnsupportedReturnType.Id] = UnsupportedReturnType,
        [GenericMethod.Id] = GenericMethod,
        [NotAnInterface.Id] = NotAnInterface,
        [DuplicateMethodName.Id] = DuplicateMethodName,
        [InvalidOneWay.Id] = InvalidOneWay,
        [ByRefParameter.Id] = ByRefParameter,
        [UnsupportedMember.Id] = UnsupportedMember,
        [UnsupportedInterface.Id] = UnsupportedInterface,
        [DuplicateSpecialParameter.Id] = DuplicateSpecialParameter,
        [UnsupportedMessageType.Id] = UnsupportedMessageType,
    };

    public static DiagnosticDescriptor ById(string id) => s_byId[id];

    public static object[] ToObjectArray(this EquatableArray<string> arguments)
    {
        var result = new object[arguments.Count];
        for (var i = 0; i < result.Length; i++) result[i] = arguments[i];
        return result;
    }

    private static DiagnosticDescriptor Create(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
