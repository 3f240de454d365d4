using System.CommandLine;
using Meshwork.Cli;

var root = new RootCommand("Meshwork: multiplexed RPC, service governance and gossip membership.");
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(CallCommand.Create());
return await root.Parse(args).InvokeAsync();
