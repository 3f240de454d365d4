namespace Meshwork.Cli;

/// <summary>The command line is wrong (exit code 2); the message says what to change.</summary>
internal sealed class UsageException(string message) : Exception(message);
