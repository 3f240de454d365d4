using System.CommandLine;
using Meshwork.Cli.Calls;
using Meshwork.Cli.Agent;
using Meshwork.Cli.Demo;
using Meshwork.Cli.Tars;

bool agent = args.Length > 0 && args[0] == "agent";
// First, before the runtime sets up its signal handling (which keeps an ignored SIGINT ignored for good): an agent
// started in the background of a script or with nohup still leaves on SIGINT, as serf does.
if (agent) InheritedInterrupt.Restore();

var root = new RootCommand("Meshwork: multiplexed RPC and Serf-compatible gossip membership.");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(DemoNodeCommand.Create());
root.Subcommands.Add(CallCommand.Create());
root.Subcommands.Add(Meshwork.Cli.Services.ServicesCommand.Create());
root.Subcommands.Add(AgentCommand.Create());
root.Subcommands.Add(Tars2CsCommand.Create());
foreach (var command in ControlCommands.Create()) root.Subcommands.Add(command);
// The agent handles SIGINT and SIGTERM itself, as serf does (a graceful leave takes as long as it takes); left to the
// parser, a leave slower than its 2 s termination timeout would end the process with 130 halfway through.
var invocation = new InvocationConfiguration();
if (agent) invocation.ProcessTerminationTimeout = null;
return await root.Parse(args).InvokeAsync(invocation);
