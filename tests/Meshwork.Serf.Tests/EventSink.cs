using System.Collections.Concurrent;
using System.Text;

namespace Meshwork.Serf.Tests;

/// <summary>Drains a node's events in the background; answers "echo" queries like the agent's test handler.</summary>
internal sealed class EventSink : IAsyncDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;

    public EventSink(SerfNode node, bool answerEcho = true)
    {
        _loop = Task.Run(async () =>
        {
            try
            {
                await foreach (var e in node.ReadEventsAsync(_cts.Token))
                {
                    All.Enqueue(e);
                    if (answerEcho && e is QueryEventRecord { Name: "echo" } q)
                    {
                        await q.RespondAsync(Encoding.UTF8.GetBytes($"pong-from-{node.Name}:" + Encoding.UTF8.GetString(q.Payload)));
                    }
                }
            }
            catch (OperationCanceledException) { }
        });
    }

    public ConcurrentQueue<SerfEvent> All { get; } = new();

    public IEnumerable<UserEventRecord> UserEvents => All.OfType<UserEventRecord>();

    public IEnumerable<MemberEventRecord> MemberEvents => All.OfType<MemberEventRecord>();

    public async ValueTask DisposeAsync()
    {
        await _cts.CancelAsync();
        await _loop;
        _cts.Dispose();
    }
}

/// <summary>Handler scripts for agents: user events appended to a log file, "echo" queries answered.</summary>
internal sealed class HandlerScripts : IDisposable
{
    public HandlerScripts()
    {
        Dir = Directory.CreateTempSubdirectory("meshwork-serf-").FullName;
        EventLog = Path.Combine(Dir, "events.log");
        File.WriteAllText(EventLog, "");
        UserScript = Path.Combine(Dir, "user.sh");
        File.WriteAllText(UserScript, $"#!/bin/sh\nprintf '%s %s %s %s\\n' \"$SERF_EVENT\" \"$SERF_USER_EVENT\" \"$SERF_USER_LTIME\" \"$(cat)\" >> '{EventLog}'\n");
        EchoScript = Path.Combine(Dir, "echo.sh");
        File.WriteAllText(EchoScript, "#!/bin/sh\nprintf 'pong-from-%s:%s' \"$SERF_SELF_NAME\" \"$(cat)\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(UserScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            File.SetUnixFileMode(EchoScript, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public string Dir { get; }

    public string EventLog { get; }

    public string UserScript { get; }

    public string EchoScript { get; }

    public string[] AgentArgs => ["-event-handler", $"user={UserScript}", "-event-handler", $"query:echo={EchoScript}"];

    public string[] EventLines => File.ReadAllLines(EventLog);

    public void Dispose()
    {
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
