using Meshwork.Rpc;
using Meshwork.Samples.TarsUserService;
using Meshwork.Testing;
using UserService;

namespace Meshwork.Tars.Generators.Tests;

/// <summary>
/// The UserService sample (samples/Meshwork.Samples.TarsUserService, user.tars from the brief) served by Meshwork on a
/// TARS endpoint and called through its generated proxy: in-process over every wire version, and as a separate process.
/// </summary>
public sealed class UserServiceSampleTests
{
    private const string ObjectName = "UserService.UserServer.UserServiceObj";

    public static TheoryData<short> Versions => new() { TarsVersion.Tars, TarsVersion.TupComplex, TarsVersion.Tup };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Every_function_works_through_the_generated_proxy(short version)
    {
        await using var server = new TarsServer().AddService(UserServiceDispatcher.Bind(ObjectName, new InMemoryUserService()));
        var endpoint = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
        await using var channel = TarsChannel.ForProxy(ObjectName + "@" + endpoint, new TarsClientOptions { Version = version });
        IUserService users = new UserServiceProxy(channel, ObjectName);

        var created = await users.CreateUserAsync(new UserInfo
        {
            UserName = "王小明",
            Email = "xm@example.org",
            Age = 30,
            Tags = ["a", "b"],
            Metadata = new() { ["team"] = "核心", ["big"] = new string('m', 70_000) },
        });
        Assert.Equal(0, created.ReturnValue);
        Assert.Equal(1, created.Result.UserId);
        Assert.False(string.IsNullOrEmpty(created.Result.CreateTime));
        var invalid = await users.CreateUserAsync(new UserInfo { UserName = "no e-mail" });
        Assert.Equal(UserErrors.InvalidArgument, invalid.ReturnValue);

        var fetched = await users.GetUserAsync(1);
        Assert.Equal(("王小明", 30, "核心"), (fetched.UserName, fetched.Age, fetched.Metadata["team"]));
        Assert.Equal(70_000, fetched.Metadata["big"].Length);
        Assert.Equal(["a", "b"], fetched.Tags);

        var updated = await users.UpdateUserAsync(new UserInfo { UserId = 1, Age = 31, Metadata = new() { ["role"] = "dev" } });
        Assert.Equal((0, 31, "xm@example.org", "dev", "核心"), (updated.ReturnValue, updated.Result.Age, updated.Result.Email, updated.Result.Metadata["role"], updated.Result.Metadata["team"]));
        Assert.Equal(UserErrors.NotFound, (await users.UpdateUserAsync(new UserInfo { UserId = 404 })).ReturnValue);

        for (var i = 2; i <= 25; i++) await users.CreateUserAsync(new UserInfo { UserName = "user" + i, Email = "u" + i + "@example.org" });
        var page = await users.QueryUsersAsync(new UserQuery { Email = "example.org", Page = 3, PageSize = 10 });
        Assert.Equal((25, 3, 10), (page.Total, page.Page, page.PageSize));
        Assert.Equal([21, 22, 23, 24, 25], page.Users.Select(u => u.UserId));
        var defaults = await users.QueryUsersAsync(new UserQuery());
        Assert.Equal((1, InMemoryUserService.DefaultPageSize, 10), (defaults.Page, defaults.PageSize, defaults.Users.Count));
        Assert.Equal(["user7"], (await users.QueryUsersAsync(new UserQuery { UserName = "user7" })).Users.Select(u => u.UserName));
        var badPage = await Assert.ThrowsAsync<RpcException>(async () => await users.QueryUsersAsync(new UserQuery { Page = -1 }));
        Assert.Equal(UserErrors.InvalidArgument, badPage.GetTarsReturnCode());

        Assert.Equal([2, 5], (await users.BatchGetUsersAsync([2, 999, 5])).Select(u => u.UserId));
        Assert.Empty(await users.BatchGetUsersAsync([]));

        Assert.Equal(0, await users.DeleteUserAsync(1));
        Assert.Equal(UserErrors.NotFound, await users.DeleteUserAsync(1));
        var missing = await Assert.ThrowsAsync<RpcException>(async () => await users.GetUserAsync(1));
        Assert.Equal(UserErrors.NotFound, missing.GetTarsReturnCode());
        Assert.Contains("user 1 not found", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_sample_process_serves_on_a_tars_endpoint()
    {
        var dll = Path.Combine(Repository.Root, "samples", "Meshwork.Samples.TarsUserService", "bin", MeshworkCli.Configuration,
            Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)), "Meshwork.Samples.TarsUserService.dll");
        await using var process = RunningProcess.Start("dotnet", [dll, "serve", "tcp -h 127.0.0.1 -p 0 -t 60000"]);
        var line = await process.WaitForLineAsync(l => l.StartsWith("serving ", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        var proxyString = line["serving ".Length..].Trim();
        Assert.StartsWith(ObjectName + "@tcp -h 127.0.0.1 -p ", proxyString, StringComparison.Ordinal);

        await using var channel = TarsChannel.ForProxy(proxyString);
        var users = new UserServiceProxy(channel, ObjectName);
        var created = await users.CreateUserAsync(new UserInfo { UserName = "ada", Email = "ada@example.org" });
        Assert.Equal((0, 1), (created.ReturnValue, created.Result.UserId));
        Assert.Equal("ada", (await users.GetUserAsync(1)).UserName);
    }
}
