using System.Text.Json;
using Meshwork.Samples.TarsUserService;
using UserService;

namespace Meshwork.Tars.Generators.Tests.Interop;

/// <summary>
/// An unmodified Node TARS client (@tars/rpc, @tars/stream; node/user-client.js) calls every function of the
/// UserService sample, served by Meshwork through its generated dispatcher, over TARS v1 and TUP v3: out parameters,
/// nested structs in vectors, maps, unicode, a 100 KB value, paging and business errors.
/// </summary>
/// <remarks>
/// Not TUP v2: for vectors, Node looks up the type name <c>List&lt;T&gt;</c> (capital L) while Java and Meshwork write
/// <c>list&lt;T&gt;</c> (tars-wire.md §4.3), so a Node v2 client cannot read a vector result from a Java or Meshwork server.
/// </remarks>
[Trait("Category", "Interop")]
public sealed class UserServiceNodeClientTests
{
    private const string ObjectName = "UserService.UserServer.UserServiceObj";

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task Node_client_calls_every_function(int tup)
    {
        await using var server = new TarsServer().AddService(UserServiceDispatcher.Bind(ObjectName, new InMemoryUserService()));
        var endpoint = ObjectName + "@" + await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        string[] args = tup == 0 ? ["--endpoint", endpoint] : ["--endpoint", endpoint, "--tup", tup.ToString(System.Globalization.CultureInfo.InvariantCulture)];

        var result = await NodePeer.RunClientAsync(NodePeer.UserClientScript, args);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        var steps = result.GetProperty("steps");
        var created = steps.GetProperty("created");
        Assert.Equal((0, 1, "王小明"), (created.GetProperty("ret").GetInt32(), Int(created.GetProperty("result"), "userId"), Str(created.GetProperty("result"), "userName")));
        Assert.False(string.IsNullOrEmpty(Str(created.GetProperty("result"), "createTime")));
        Assert.Equal(UserErrors.InvalidArgument, steps.GetProperty("invalid").GetProperty("ret").GetInt32());
        var got = steps.GetProperty("got");
        Assert.Equal(("xm@example.org", 30, "核心", 100_000), (Str(got, "email"), Int(got, "age"), Str(got.GetProperty("metadata"), "team"), Int(got.GetProperty("metadata"), "bigLength")));
        Assert.Equal(["a", "b"], got.GetProperty("tags").EnumerateArray().Select(t => t.GetString()));
        var updated = steps.GetProperty("updated");
        Assert.Equal((0, 31, "王小明"), (updated.GetProperty("ret").GetInt32(), Int(updated.GetProperty("result"), "age"), Str(updated.GetProperty("result"), "userName")));
        var page = steps.GetProperty("page");
        Assert.Equal((12, 2, 5), (Int(page, "total"), Int(page, "page"), Int(page, "pageSize")));
        Assert.Equal([6, 7, 8, 9, 10], page.GetProperty("users").EnumerateArray().Select(u => Int(u, "userId")));
        Assert.Equal([2, 3], steps.GetProperty("batch").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal((0, UserErrors.NotFound), (steps.GetProperty("deleted").GetInt32(), steps.GetProperty("deletedAgain").GetInt32()));
        var missing = steps.GetProperty("missing");
        Assert.Equal(UserErrors.NotFound, Int(missing, "code"));
        // The Node client takes the error text from sResultDesc over v1 only; over TUP it reports just the code.
        if (tup == 0) Assert.Contains("user 1 not found", Str(missing, "message"), StringComparison.Ordinal);
    }

    private static int Int(JsonElement e, string name) => e.GetProperty(name).GetInt32();

    private static string? Str(JsonElement e, string name) => e.GetProperty(name).GetString();
}
