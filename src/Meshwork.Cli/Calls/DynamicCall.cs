using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;
using Meshwork.Rpc;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Cli.Calls;

/// <summary>
/// Makes one call of any kind with <see cref="JsonElement"/> messages. With kind "auto" it calls unary first (client
/// streaming when there are several request messages); a
/// server refuses a call of the wrong kind before running anything, naming the method's kind, and the call is then
/// made again as that kind.
/// </summary>
internal static partial class DynamicCall
{
    public static async Task<int> RunAsync(CallInvoker invoker, CallRequest request, CallOutput output, CancellationToken ct)
    {
        // Several messages can only be a request stream; the server corrects a client stream into a duplex one.
        var kind = request.Kind ?? (request.Messages.Count > 1 ? CallKind.ClientStreaming : CallKind.Unary);
        try
        {
            try
            {
                return await CallAsync(invoker, request, kind, output, ct);
            }
            catch (RpcException e) when (request.Kind is null && e.Status == StatusCode.InvalidArgument && KindNamedIn(e.Message) is { } actual && actual != kind)
            {
                return await CallAsync(invoker, request, actual, output, ct);
            }
        }
        catch (RpcException e)
        {
            return output.Error(e.Status, e.Message);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return output.Error(StatusCode.Cancelled, "interrupted");
        }
    }

    /// <summary>The method's kind from the server's "X/Y is a ServerStreaming method but was called as Unary" refusal.</summary>
    private static CallKind? KindNamedIn(string message) =>
        KindRefusal().Match(message) is { Success: true } m && Enum.TryParse<CallKind>(m.Groups[1].Value, out var kind) ? kind : null;

    [GeneratedRegex(@"is a (\w+) method but was called as ")]
    private static partial Regex KindRefusal();

    private static async Task<int> CallAsync(CallInvoker invoker, CallRequest request, CallKind kind, CallOutput output, CancellationToken ct)
    {
        var options = new CallOptions { CancellationToken = ct, Timeout = request.Timeout, Headers = request.Headers };
        var type = MessageTypes.Plain<JsonElement>();
        var method = new Method<JsonElement, JsonElement>(request.Service, request.Method, kind, type, type, request.Idempotent);
        if (kind is CallKind.Unary or CallKind.ServerStreaming or CallKind.OneWay && request.Messages.Count > 1)
        {
            throw new RpcException(StatusCode.InvalidArgument, $"{request.FullName} is a {kind} method: it takes one request message, not {request.Messages.Count}");
        }
        var single = request.Messages.Count == 1 ? request.Messages[0] : default;
        switch (kind)
        {
            case CallKind.Unary:
                output.Reply(await invoker.UnaryAsync(method, single, options));
                return 0;
            case CallKind.OneWay:
                var oneWay = new Method<JsonElement, Empty>(request.Service, request.Method, kind, type, MessageTypes.Plain<Empty>(), request.Idempotent);
                await invoker.OneWayAsync(oneWay, single, options);
                output.Sent();
                return 0;
            case CallKind.ServerStreaming:
                await foreach (var message in invoker.ServerStreaming(method, single, options)) output.StreamMessage(message);
                return 0;
            case CallKind.ClientStreaming:
                output.Reply(await invoker.ClientStreamingAsync(method, Messages(request.Messages), options));
                return 0;
            default:
                await foreach (var message in invoker.DuplexStreaming(method, Messages(request.Messages), options)) output.StreamMessage(message);
                return 0;
        }
    }

    private static async IAsyncEnumerable<JsonElement> Messages(IReadOnlyList<JsonElement> messages, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var m in messages)
        {
            ct.ThrowIfCancellationRequested();
            yield return m;
        }
        await Task.CompletedTask;
    }
}
