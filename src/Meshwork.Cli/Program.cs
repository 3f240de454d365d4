using System.CommandLine;
using Meshwork.Cli;

var root = new RootCommand("Meshwork: multiplexed RPC, service governance and gossip membership.");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(CallCommand.Create());
root.Subcommands.Add(Meshwork.Cli.Agent.AgentCommand.Create());
foreach (var command in Meshwork.Cli.Agent.ControlCommands.Create()) root.Subcommands.Add(command);
return await root.Parse(args).InvokeAsync();
