using System.CommandLine;
using Meshwork.Cli;
using Meshwork.Cli.Agent;
using Meshwork.Cli.Demo;
using Meshwork.Cli.Tars;

var root = new RootCommand("Meshwork: multiplexed RPC and Serf-compatible gossip membership.");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(DemoNodeCommand.Create());
root.Subcommands.Add(CallCommand.Create());
root.Subcommands.Add(AgentCommand.Create());
root.Subcommands.Add(Tars2CsCommand.Create());
foreach (var command in ControlCommands.Create()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
