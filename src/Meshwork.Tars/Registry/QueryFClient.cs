using Meshwork.Rpc.Client;

namespace Meshwork.Tars;

/// <summary>Calls <c>QueryF</c> on a TARS registry (<c>tars.tarsregistry.QueryObj</c>).</summary>
internal static class QueryFClient
{
    public const string DefaultObject = "tars.tarsregistry.QueryObj";

    private sealed class IdArgument(string id) : ITarsArguments
    {
        public void WriteTo(TarsParameterWriter writer) =>
            writer.Write(1, "id", "string", id, static (ref TarsWriter w, int t, string v) => w.WriteString(t, v));
    }

    /// <summary><c>vector&lt;EndpointF&gt; findObjectById(string id)</c>: the active endpoints.</summary>
    public static async ValueTask<List<EndpointF>> FindObjectByIdAsync(CallInvoker invoker, string registryObject, string id, CancellationToken cancellationToken)
    {
        var reply = await invoker.UnaryAsync(TarsMethods.Unary(registryObject, "findObjectById", idempotent: true), new TarsInvocation(new IdArgument(id)),
            new Meshwork.Rpc.CallOptions(cancellationToken)).ConfigureAwait(false);
        return reply.Results.ReadReturn(EndpointF.ReadList);
    }

    /// <summary><c>int findObjectById4Any(string id, out vector&lt;EndpointF&gt; activeEp, out vector&lt;EndpointF&gt; inactiveEp)</c>.</summary>
    public static async ValueTask<(int Ret, List<EndpointF> Active, List<EndpointF> Inactive)> FindObjectById4AnyAsync(CallInvoker invoker,
        string registryObject, string id, TimeSpan? timeout, CancellationToken cancellationToken)
    {
        var reply = await invoker.UnaryAsync(TarsMethods.Unary(registryObject, "findObjectById4Any", idempotent: true), new TarsInvocation(new IdArgument(id)),
            new Meshwork.Rpc.CallOptions(cancellationToken) { Timeout = timeout }).ConfigureAwait(false);
        int ret = reply.Results.ReadReturn(static (ref TarsReader r, int t) => r.ReadInt32(t, true));
        var active = reply.Results.Read(2, "activeEp", EndpointF.ReadList);
        var inactive = reply.Results.Read(3, "inactiveEp", EndpointF.ReadList);
        return (ret, active, inactive);
    }
}
