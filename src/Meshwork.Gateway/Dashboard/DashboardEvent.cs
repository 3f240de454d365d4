namespace Meshwork.Gateway.Dashboard;

/// <summary>One line of the dashboard's live event stream.</summary>
/// <param name="Kind">What happened: <c>member-join</c>, <c>member-leave</c>, <c>member-failed</c>, <c>member-update</c>, <c>member-reap</c>, <c>user</c>, <c>query</c>, or an application's own kind.</param>
/// <param name="Text">A human-readable description.</param>
/// <param name="Time">When the dashboard saw it.</param>
public sealed record DashboardEvent(string Kind, string Text, DateTimeOffset Time);
