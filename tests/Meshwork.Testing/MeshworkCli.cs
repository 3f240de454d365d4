using System.Reflection;

namespace Meshwork.Testing;

/// <summary>
/// Runs the real <c>meshwork</c> binary built from src/Meshwork.Cli in the same configuration (Release or Debug) as
/// the running test assembly: one-shot commands, or a long-running agent that is always killed on dispose.
/// </summary>
public sealed class MeshworkCli : IAsyncDisposable
{
    /// <summary>How long an agent may take to print its "control API on" line.</summary>
    public static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly RunningProcess _process;

    private MeshworkCli(RunningProcess process, int gossipPort, string rpcAddr)
    {
        _process = process;
        GossipPort = gossipPort;
        RpcAddr = rpcAddr;
    }

    /// <summary>The agent's output so far.</summary>
    public string Log => _process.Log;

    /// <summary>Gossip port (TCP and UDP).</summary>
    public int GossipPort { get; }

    /// <summary>Control API address the other commands use (<c>--rpc-addr</c>).</summary>
    public string RpcAddr { get; }

    /// <summary>Whether the agent has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>Exit code (only after exit).</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Operating-system process id.</summary>
    public int Pid => _process.Pid;

    /// <summary>The build configuration of the test run: that of the entry (test) assembly, else of this library (built with it).</summary>
    public static string Configuration =>
        new[] { Assembly.GetEntryAssembly(), typeof(MeshworkCli).Assembly }
            .Select(a => a?.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration)
            .FirstOrDefault(c => !string.IsNullOrEmpty(c))
        ?? throw new InvalidOperationException("the test assembly carries no AssemblyConfiguration attribute");

    /// <summary>
    /// src/Meshwork.Cli/bin/&lt;configuration&gt;/&lt;tfm&gt;/meshwork.dll for the configuration and target framework of
    /// this test build. Never falls back to another configuration: a stale binary would test old code.
    /// </summary>
    public static string BinaryPath
    {
        get
        {
            string tfm = Path.GetFileName(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
            string dll = Path.Combine(Repository.Root, "src", "Meshwork.Cli", "bin", Configuration, tfm, "meshwork.dll");
            if (!File.Exists(dll))
            {
                throw new FileNotFoundException($"meshwork CLI not built for {Configuration}/{tfm}: run dotnet build src/Meshwork.Cli -c {Configuration}", dll);
            }
            return dll;
        }
    }

    /// <summary>Runs one command to completion (60 s limit) and returns its exit code and output.</summary>
    public static Task<(int Code, string Stdout, string Stderr)> RunAsync(params string[] args) =>
        ProcessRunner.RunAsync("dotnet", [BinaryPath, .. args]);

    /// <summary>Starts a long-running command (e.g. <c>demo</c> to watch its output as it goes).</summary>
    public static RunningProcess Start(params string[] args) => RunningProcess.Start("dotnet", [BinaryPath, .. args]);

    /// <summary>Starts <c>meshwork agent</c> on fresh ports; retries with new ports if one was taken between choosing and binding.</summary>
    public static async Task<MeshworkCli> StartAgentAsync(string node, params string[] extra)
    {
        string lastLog = "";
        for (int attempt = 0; attempt < 3; attempt++)
        {
            int gossip = FreePort.TcpAndUdp();
            int rpc = FreePort.TcpAndUdp();
            string[] args = ["agent", "--node", node, "--bind", $"127.0.0.1:{gossip}", "--rpc-addr", $"127.0.0.1:{rpc}", "--log-level", "Warning", .. extra];
            var agent = new MeshworkCli(Start(args), gossip, $"127.0.0.1:{rpc}");
            try
            {
                await agent._process.WaitForLineAsync(l => l.Contains("control API on ", StringComparison.Ordinal), StartTimeout);
                return agent;
            }
            catch (TimeoutException)
            {
                lastLog = agent.Log;
                await agent.DisposeAsync();
            }
        }
        throw new InvalidOperationException("meshwork agent did not start:\n" + lastLog);
    }

    /// <summary>Waits for the agent to exit and returns its exit code.</summary>
    public Task<int> WaitForExitAsync(TimeSpan timeout) => _process.WaitForExitAsync(timeout);

    /// <summary>SIGKILL: the agent vanishes without leaving.</summary>
    public Task KillAsync() => _process.KillAsync();

    /// <summary>Kills the agent if it is still running.</summary>
    public ValueTask DisposeAsync() => _process.DisposeAsync();
}
