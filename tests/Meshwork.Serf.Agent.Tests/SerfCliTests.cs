using System.Text.Json;

namespace Meshwork.Serf.Agent.Tests;

/// <summary>The real <c>serf</c> 0.9.4 CLI drives a Meshwork agent over serf's client RPC protocol.</summary>
[Trait("Category", "Interop")]
public sealed class SerfCliTests
{
    [Fact]
    public async Task Members_in_text_json_and_filtered_forms()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-a", (o, _) => { o.Tags["role"] = "web"; o.Tags["dc"] = "lab"; });
        var (code, stdout, stderr) = await mesh.SerfAsync("members");
        Assert.True(code == 0, stderr);
        Assert.Matches(@"mesh-a\s+127\.0\.0\.1:\d+\s+alive\s+(role=web,dc=lab|dc=lab,role=web)", stdout);

        (code, stdout, stderr) = await mesh.SerfAsync("members", "-format=json");
        Assert.True(code == 0, stderr);
        var member = JsonDocument.Parse(stdout).RootElement.GetProperty("members")[0];
        Assert.Equal("mesh-a", member.GetProperty("name").GetString());
        Assert.Equal("alive", member.GetProperty("status").GetString());
        Assert.Equal(mesh.GossipPort, member.GetProperty("port").GetInt32());
        Assert.Equal("web", member.GetProperty("tags").GetProperty("role").GetString());
        Assert.Equal(5, member.GetProperty("protocol").GetProperty("version").GetInt32());

        // Filters go through members-filtered: anchored regular expressions on tags, status and name.
        (_, stdout, _) = await mesh.SerfAsync("members", "-tag", "role=w.b", "-status=alive");
        Assert.Contains("mesh-a", stdout);
        (_, stdout, _) = await mesh.SerfAsync("members", "-tag", "role=we");
        Assert.DoesNotContain("mesh-a", stdout);
        (_, stdout, _) = await mesh.SerfAsync("members", "-name=mesh-.*", "-detailed");
        Assert.Contains("Protocol Version: 5", stdout);
    }

    [Fact]
    public async Task User_events_run_handler_scripts_with_serf_environment_and_stdin()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-h", (o, dir) =>
        {
            o.Tags["role"] = "db";
            o.Tags["rack-id"] = "r7";
            string log = Path.Combine(dir, "events.log");
            o.EventHandlers.Add("user:deploy=" + MeshAgent.Script(dir, "user.sh",
                $"echo \"$SERF_EVENT|$SERF_USER_EVENT|$SERF_USER_LTIME|$SERF_SELF_NAME|$SERF_SELF_ROLE|$SERF_TAG_RACK_ID\" >> {log}; cat >> {log}"));
            o.EventHandlers.Add("member-join=" + MeshAgent.Script(dir, "join.sh", $"echo \"$SERF_EVENT\" >> {log}.join; cat >> {log}.join"));
        });
        string log = Path.Combine(mesh.Directory, "events.log");
        var (code, stdout, stderr) = await mesh.SerfAsync("event", "deploy", "v42");
        Assert.True(code == 0, stderr);
        Assert.Contains("Event 'deploy' dispatched", stdout);
        await mesh.SerfAsync("event", "other", "ignored");

        await Eventually.TrueAsync(() => File.Exists(log) && File.ReadAllText(log).Contains("v42", StringComparison.Ordinal), "the user handler ran");
        var lines = File.ReadAllLines(log);
        Assert.Matches(@"^user\|deploy\|\d+\|mesh-h\|db\|r7$", lines[0]);
        Assert.Equal("v42", lines[1]);
        Assert.DoesNotContain("ignored", File.ReadAllText(log)); // the filter user:deploy skips other events

        // The member-join handler got one tab-separated line per member on stdin.
        await Eventually.TrueAsync(() => File.Exists(log + ".join") && File.ReadAllText(log + ".join").Contains("mesh-h\t127.0.0.1\tdb\t", StringComparison.Ordinal),
            "the member-join handler ran with the member line");
        Assert.StartsWith("member-join", File.ReadAllText(log + ".join"));
        Assert.True(mesh.Agent.Handlers.Succeeded >= 2);
    }

    [Fact]
    public async Task A_query_handler_script_output_is_the_response()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-q", (o, dir) =>
            o.EventHandlers.Add("query:echo=" + MeshAgent.Script(dir, "echo.sh", "printf 'pong-from-%s:' \"$SERF_SELF_NAME\"; cat")));
        var (code, stdout, stderr) = await mesh.SerfAsync("query", "-timeout=3s", "echo", "hello");
        Assert.True(code == 0, stderr);
        Assert.Contains("Response from 'mesh-q': pong-from-mesh-q:hello", stdout);
        Assert.Contains("Total Responses: 1", stdout);
        Assert.Contains("Ack from 'mesh-q'", stdout);
    }

    [Fact]
    public async Task Join_force_leave_and_leave_against_a_real_serf_agent()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-j", (o, _) => o.Profile = "local");
        await using var serf = await global::Meshwork.Testing.SerfAgent.StartAsync("serf-j", "-profile=local");
        var (code, stdout, stderr) = await mesh.SerfAsync("join", $"127.0.0.1:{serf.BindPort}");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("Successfully joined cluster by contacting 1 nodes", stdout);
        await Eventually.TrueAsync(async () => (await mesh.SerfAsync("members", "-status=alive")).Stdout.Contains("serf-j", StringComparison.Ordinal), "serf-j alive");

        // A join where nobody listens is an error with serf's exit status.
        (code, stdout, stderr) = await mesh.SerfAsync("join", $"127.0.0.1:{FreePort.TcpAndUdp()}");
        Assert.Equal(1, code);
        Assert.Contains("Error joining", stdout + stderr);

        await serf.KillAsync();
        await Eventually.TrueAsync(async () => (await mesh.SerfAsync("members", "-status=failed")).Stdout.Contains("serf-j", StringComparison.Ordinal), "serf-j failed");
        (code, _, stderr) = await mesh.SerfAsync("force-leave", "serf-j");
        Assert.True(code == 0, stderr);
        await Eventually.TrueAsync(async () => (await mesh.SerfAsync("members", "-status=left")).Stdout.Contains("serf-j", StringComparison.Ordinal), "serf-j left");

        (code, stdout, stderr) = await mesh.SerfAsync("leave");
        Assert.True(code == 0, stderr);
        Assert.Contains("Graceful leave complete", stdout);
        Assert.True(mesh.Agent.ShutdownRequested.IsCompleted);
    }

    [Fact]
    public async Task Tags_info_rtt_and_monitor()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-t", (o, dir) =>
        {
            o.TagsFile = Path.Combine(dir, "tags.json");
            o.EventHandlers.Add("user=/bin/true");
        });
        var (code, stdout, stderr) = await mesh.SerfAsync("tags", "-set", "zone=a", "-set", "role=x");
        Assert.True(code == 0, stderr);
        Assert.Contains("Successfully updated agent tags", stdout);
        (code, _, stderr) = await mesh.SerfAsync("tags", "-delete", "role");
        Assert.True(code == 0, stderr);
        Assert.Contains("zone=a", (await mesh.SerfAsync("members")).Stdout);
        Assert.DoesNotContain("role=", (await mesh.SerfAsync("members")).Stdout);
        // The tags file follows, so a restart keeps the tags.
        var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(mesh.Directory, "tags.json"))).RootElement;
        Assert.Equal("a", file.GetProperty("zone").GetString());
        Assert.False(file.TryGetProperty("role", out _));

        (code, stdout, stderr) = await mesh.SerfAsync("info");
        Assert.True(code == 0, stderr);
        Assert.Contains("name = mesh-t", stdout);
        Assert.Contains("zone = a", stdout);
        Assert.Contains("user: = /bin/true", stdout);
        Assert.Contains("encrypted = false", stdout);

        (code, stdout, stderr) = await mesh.SerfAsync("rtt", "mesh-t");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("Estimated mesh-t <-> mesh-t rtt:", stdout);

        await using var monitor = RunningProcess.Start("serf", ["monitor", $"-rpc-addr={mesh.RpcAddr}", "-log-level=info"]);
        await monitor.WaitForLineAsync(l => l.Contains("Serf agent starting", StringComparison.Ordinal), TimeSpan.FromSeconds(20)); // the backlog
        await mesh.SerfAsync("event", "watched", "x");
        await monitor.WaitForLineAsync(l => l.Contains("Received event: user-event: watched", StringComparison.Ordinal), TimeSpan.FromSeconds(20));

        (code, stdout, stderr) = await mesh.SerfAsync("monitor", "-log-level=bogus");
        Assert.NotEqual(0, code);
        Assert.Contains("Unknown log level: BOGUS", stdout + stderr);
    }

    [Fact]
    public async Task Keys_rotate_on_an_encrypted_agent()
    {
        string k1 = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        string k2 = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await using var mesh = await MeshAgent.StartAsync("mesh-k", (o, _) => o.EncryptKey = k1);
        var (code, stdout, stderr) = await mesh.SerfAsync("keys", "-install=" + k2);
        Assert.True(code == 0, stdout + stderr);
        (code, stdout, stderr) = await mesh.SerfAsync("keys", "-use=" + k2);
        Assert.True(code == 0, stdout + stderr);
        (code, stdout, stderr) = await mesh.SerfAsync("keys", "-remove=" + k1);
        Assert.True(code == 0, stdout + stderr);
        (code, stdout, stderr) = await mesh.SerfAsync("keys", "-list");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains(k2, stdout);
        Assert.DoesNotContain(k1, stdout);
        Assert.Contains("encrypted = true", (await mesh.SerfAsync("info")).Stdout);
    }

    [Fact]
    public async Task Rpc_auth_is_enforced_with_serfs_error_texts()
    {
        await using var mesh = await MeshAgent.StartAsync("mesh-auth", (o, _) => o.RpcAuthKey = "s3cret");
        var (code, stdout, stderr) = await mesh.SerfAsync("members", "-rpc-auth=wrong");
        Assert.NotEqual(0, code);
        Assert.Contains("Invalid authentication token", stdout + stderr);
        (code, stdout, stderr) = await mesh.SerfAsync("members");
        Assert.NotEqual(0, code);
        Assert.Contains("Authentication required", stdout + stderr);
        (code, stdout, stderr) = await mesh.SerfAsync("members", "-rpc-auth=s3cret");
        Assert.True(code == 0, stderr);
        Assert.Contains("mesh-auth", stdout);
    }
}
