using Meshwork.Serf.Agent;

namespace Meshwork.Serf.Agent.Tests;

/// <summary>Starts an in-process Meshwork serf agent on free ports and drives it with the real <c>serf</c> CLI.</summary>
internal sealed class MeshAgent : IAsyncDisposable
{
    private MeshAgent(SerfAgent agent, string dir)
    {
        Agent = agent;
        Directory = dir;
    }

    public SerfAgent Agent { get; }

    /// <summary>A scratch directory for scripts and files, deleted on dispose.</summary>
    public string Directory { get; }

    public string RpcAddr => $"127.0.0.1:{Agent.Ipc.EndPoint.Port}";

    public int GossipPort => Agent.Node.LocalEndPoint.Port;

    public static async Task<MeshAgent> StartAsync(string name, Action<SerfAgentOptions, string>? configure = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mw-agent-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(dir);
        Exception? last = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var options = new SerfAgentOptions
            {
                NodeName = name,
                BindAddress = $"127.0.0.1:{FreePort.TcpAndUdp()}",
                RpcAddress = "127.0.0.1:0",
                LogLevel = "debug",
            };
            configure?.Invoke(options, dir);
            var agent = new SerfAgent(options);
            try
            {
                await agent.StartAsync();
                return new MeshAgent(agent, dir);
            }
            catch (AgentStartException ex) when (ex.InnerException is System.Net.Sockets.SocketException)
            {
                last = ex;
                await agent.DisposeAsync();
            }
        }
        throw new InvalidOperationException("agent did not start", last);
    }

    /// <summary>Runs the real serf CLI against this agent's RPC address.</summary>
    public Task<(int Code, string Stdout, string Stderr)> SerfAsync(string command, params string[] args) =>
        ProcessRunner.RunAsync("serf", [command, $"-rpc-addr={RpcAddr}", .. args]);

    /// <summary>Writes an executable shell script into the scratch directory.</summary>
    public static string Script(string dir, string name, string body)
    {
        string path = Path.Combine(dir, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await Agent.DisposeAsync();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
