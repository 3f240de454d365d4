namespace Meshwork.Testing;

/// <summary>A member as printed by <c>serf members -format=json</c>.</summary>
public sealed record AgentMember(string Name, string Addr, int Port, Dictionary<string, string> Tags, string Status);
