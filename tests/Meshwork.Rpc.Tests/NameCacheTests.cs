using Meshwork.Rpc.Protocol;
using Meshwork.Rpc.Serialization;
using Meshwork.Rpc.Server;

namespace Meshwork.Rpc.Tests;

/// <summary>
/// The name cache compares a request's service and method bytes with the names it found last before hashing: names of
/// the same length, and names that share a hash bucket (the hash reads the length and the first and last 8 bytes), must
/// still resolve to their own method when they alternate.
/// </summary>
public class NameCacheTests
{
    // Same length and the same first and last 8 bytes: one hash, so one bucket, told apart only by the bytes between.
    private const string MethodA = "Request_A_Handler", MethodB = "Request_B_Handler";
    private const string ServiceA = "Cache.Svc_1_OfNames", ServiceB = "Cache.Svc_2_OfNames";

    private static Method<string, string> Named(string service, string method) =>
        new(service, method, CallKind.Unary, MessageTypes.Plain<string>(), MessageTypes.Plain<string>());

    private static ServiceDefinition Answering(string service) => new ServiceDefinition(service)
        .AddUnary(Named(service, MethodA), (_, _) => new ValueTask<string>(service + "/" + MethodA))
        .AddUnary(Named(service, MethodB), (_, _) => new ValueTask<string>(service + "/" + MethodB))
        // Same length as the others but a different hash: a name last seen, then a different name of the same length.
        .AddUnary(Named(service, "Other_C_Handlerzz"), (_, _) => new ValueTask<string>(service + "/Other_C_Handlerzz"));

    [Fact]
    public void Names_of_one_length_and_one_bucket_resolve_to_themselves_in_any_order()
    {
        var cache = new Utf8StringCache();
        byte[] a = System.Text.Encoding.UTF8.GetBytes(MethodA), b = System.Text.Encoding.UTF8.GetBytes(MethodB);
        string[] order = [MethodA, MethodB, MethodA, MethodA, MethodB, MethodB, MethodA, MethodB, MethodA];
        foreach (bool isMethod in new[] { true, false })
        {
            foreach (string name in order)
            {
                Assert.Equal(name, cache.GetOrAdd(name == MethodA ? a : b, isMethod));
            }
        }
    }

    [Fact]
    public async Task Calls_alternating_between_methods_and_services_with_names_of_one_length_reach_their_own_method()
    {
        await using var f = await ServerFixture.StartAsync(configure: s =>
        {
            s.AddService(Answering(ServiceA));
            s.AddService(Answering(ServiceB));
        });
        string[] methods = [MethodA, MethodB, "Other_C_Handlerzz"];
        // Each name first seen, then found again, then found as the name last seen, then after a different one: every
        // pattern of repeats and changes of both names, the way a connection's requests go.
        var calls = new List<(string Service, string Method)>();
        for (int round = 0; round < 3; round++)
        {
            foreach (string service in new[] { ServiceA, ServiceB, ServiceB, ServiceA })
            {
                foreach (string method in methods) calls.Add((service, method));
                calls.Add((service, MethodB));
                calls.Add((service, MethodB));
                calls.Add((service, MethodA));
            }
        }
        foreach (var (service, method) in calls)
        {
            Assert.Equal(service + "/" + method, await f.Channel.UnaryAsync(Named(service, method), "x"));
        }
    }
}
