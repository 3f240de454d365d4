using Meshwork.Rpc;
using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;

namespace Meshwork.Tars;

/// <summary>
/// Builds the <see cref="Method{TRequest, TResponse}"/> descriptors TARS calls travel with: the service is the TARS
/// object name (<c>App.Server.Obj</c>, what <c>sServantName</c> carries and what registries resolve), the name is the
/// function. Any <see cref="Meshwork.Rpc.Client.CallInvoker"/> that speaks TARS (<see cref="TarsChannel"/>) accepts them.
/// </summary>
public static class TarsMethods
{
    private static readonly MessageType<TarsInvocation> InvocationType = MessageTypes.Plain<TarsInvocation>();
    private static readonly MessageType<TarsReply> ReplyType = MessageTypes.Plain<TarsReply>();
    private static readonly MessageType<Empty> EmptyType = MessageTypes.Plain<Empty>();

    /// <summary>A two-way call of <paramref name="function"/> on <paramref name="objectName"/>.</summary>
    /// <param name="objectName">The TARS object name, e.g. <c>MeshTest.EchoServer.EchoObj</c>.</param>
    /// <param name="function">The function name.</param>
    /// <param name="idempotent">Safe to retry (retry policies only retry idempotent calls).</param>
    /// <returns>The descriptor.</returns>
    public static Method<TarsInvocation, TarsReply> Unary(string objectName, string function, bool idempotent = false) =>
        new(objectName, function, CallKind.Unary, InvocationType, ReplyType, idempotent);

    /// <summary>A one-way call (<c>cPacketType</c> 1: no reply, not even errors).</summary>
    /// <param name="objectName">The TARS object name.</param>
    /// <param name="function">The function name.</param>
    /// <returns>The descriptor.</returns>
    public static Method<TarsInvocation, Empty> OneWay(string objectName, string function) =>
        new(objectName, function, CallKind.OneWay, InvocationType, EmptyType);
}
