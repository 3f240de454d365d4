using Meshwork.Samples.TarsUserService;
using Meshwork.Tars;
using UserService;

// meshwork UserService over TARS.
//   serve [endpoint]   serve UserService.UserServer.UserServiceObj on a TARS endpoint (default tcp -h 127.0.0.1 -p 18015 -t 60000)
//                      and print the proxy string; runs until Ctrl+C or SIGTERM
//   (no arguments)     a server and a client in one process: every function through the generated proxy
const string ObjectName = "UserService.UserServer.UserServiceObj";

if (args.Length > 0 && args[0] == "serve")
{
    var endpoint = args.Length > 1 ? args[1] : "tcp -h 127.0.0.1 -p 18015 -t 60000";
    await using var server = new TarsServer().AddService(UserServiceDispatcher.Bind(ObjectName, new InMemoryUserService()));
    var bound = await server.StartAsync(endpoint);
    Console.WriteLine("serving " + ObjectName + "@" + bound);
    // Runs until Ctrl+C or SIGTERM; then the server stops taking calls and finishes the ones in flight.
    var stop = new TaskCompletionSource();
    using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, signal =>
    {
        signal.Cancel = true;
        stop.TrySetResult();
    });
    Console.CancelKeyPress += (_, e) =>
    {
        e.Cancel = true;
        stop.TrySetResult();
    };
    await stop.Task;
    return 0;
}

await using (var server = new TarsServer().AddService(UserServiceDispatcher.Bind(ObjectName, new InMemoryUserService())))
{
    var bound = await server.StartAsync("tcp -h 127.0.0.1 -p 0 -t 60000");
    await using var channel = TarsChannel.ForProxy(ObjectName + "@" + bound);
    IUserService users = new UserServiceProxy(channel, ObjectName);

    var created = await users.CreateUserAsync(new UserInfo { UserName = "ada", Email = "ada@example.org", Age = 36, Tags = ["math"] });
    Console.WriteLine($"createUser -> {created.ReturnValue}, id {created.Result.UserId}");
    await users.CreateUserAsync(new UserInfo { UserName = "grace", Email = "grace@example.org" });
    Console.WriteLine($"getUser -> {(await users.GetUserAsync(created.Result.UserId)).UserName}");
    var updated = await users.UpdateUserAsync(new UserInfo { UserId = created.Result.UserId, Age = 37 });
    Console.WriteLine($"updateUser -> {updated.ReturnValue}, age {updated.Result.Age}");
    var page = await users.QueryUsersAsync(new UserQuery { Email = "example.org", PageSize = 1 });
    Console.WriteLine($"queryUsers -> total {page.Total}, page {page.Page} of size {page.PageSize}: {page.Users[0].UserName}");
    Console.WriteLine($"batchGetUsers -> {string.Join(", ", (await users.BatchGetUsersAsync([1, 2, 99])).Select(u => u.UserName))}");
    Console.WriteLine($"deleteUser -> {await users.DeleteUserAsync(created.Result.UserId)}");
    try
    {
        await users.GetUserAsync(created.Result.UserId);
    }
    catch (Meshwork.Rpc.RpcException e)
    {
        Console.WriteLine($"getUser after delete -> iRet {e.GetTarsReturnCode()}: {e.Message}");
    }
}
Console.WriteLine($"dynamic code supported: {System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported}");
return 0;
