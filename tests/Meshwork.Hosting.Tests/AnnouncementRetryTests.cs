using Etcdserverpb;
using Grpc.Net.Client;
using Meshwork.Discovery;
using Meshwork.Discovery.Etcd;
using Meshwork.Governance.Tests;
using Meshwork.Hosting.Governance;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshwork.Hosting.Tests;

/// <summary>
/// A changed announcement that the registry cannot take is retried until it can, against a real etcd. The failure is
/// one an operator meets for real: etcd's NOSPACE alarm (raised by etcd when its database reaches its quota, here
/// raised through the same maintenance API) refuses every write and lease grant while reads, deletes and lease
/// keep-alives go on, so the server's registration stays alive with the old announcement and nothing in the etcd
/// registry itself would put the new one. Disarming the alarm (what the operator does after compacting) must be
/// enough for the new announcement to appear. (Killing etcd would not show the bug: the etcd registry re-puts its
/// instances under a new lease when its keep-alive breaks, and it records the new announcement before trying.)
/// </summary>
public sealed class AnnouncementRetryTests : IAsyncLifetime
{
    private readonly TempFiles _files = new();
    private EtcdServer _etcd = null!;

    public async ValueTask InitializeAsync() => _etcd = await EtcdServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        await _etcd.DisposeAsync();
        _files.Dispose();
    }

    private string Document(int weight, string lane) => $"""
        Meshwork:
          Registry: {"{"} Type: etcd, Endpoint: "{_etcd.Endpoint}", RequestTimeout: 2s {"}"}
          Server:
            Endpoints: [ 127.0.0.1:0 ]
            Drain: {"{"} PropagationDelay: 10ms {"}"}
            Weight: {weight}
            Tags: {"{"} lane: {lane} {"}"}
        """;

    private IHost Server(string path, CapturingLoggerProvider logs) =>
        GovernedHosts.Server(path, "etcd-node", logs, m => m.AddRegistryProvider(new EtcdServiceRegistryProvider()));

    /// <summary>Raises or clears etcd's NOSPACE alarm: while it is raised, etcd answers every put "database space exceeded".</summary>
    private async Task NoSpaceAlarmAsync(bool raise)
    {
        using var channel = GrpcChannel.ForAddress(_etcd.Endpoint);
        var maintenance = new Maintenance.MaintenanceClient(channel);
        var status = await maintenance.StatusAsync(new StatusRequest(), cancellationToken: Eventually.Token());
        await maintenance.AlarmAsync(new AlarmRequest
        {
            Action = raise ? AlarmRequest.Types.AlarmAction.Activate : AlarmRequest.Types.AlarmAction.Deactivate,
            MemberID = status.Header.MemberId,
            Alarm = AlarmType.Nospace,
        }, cancellationToken: Eventually.Token());
    }

    private static async Task<ServiceInstance?> InEtcdAsync(IServiceRegistry reader) =>
        (await reader.ResolveAsync("calc", Eventually.Token())).SingleOrDefault();

    [Fact]
    public async Task A_changed_announcement_etcd_refuses_is_retried_until_etcd_takes_it_and_a_newer_change_replaces_it()
    {
        var logs = new CapturingLoggerProvider();
        string path = _files.Write("server.yaml", Document(100, "green"));
        using var server = Server(path, logs);
        await server.StartAsync(Eventually.Token());
        await using var reader = new EtcdServiceRegistry(new EtcdDiscoveryOptions { Endpoint = _etcd.Endpoint });
        try
        {
            var publisher = server.Services.GetRequiredService<MeshworkGovernance>().ServerReloader!.Publisher;
            var before = await Eventually.ValueAsync(() => InEtcdAsync(reader), i => i is not null, "the server's instance in etcd");
            Assert.Equal(100, before!.Weight);

            await NoSpaceAlarmAsync(raise: true);
            GovernedHosts.Rewrite(path, Document(7, "blue"));
            // Several attempts fail; the failures are logged once, not per attempt.
            await Eventually.TrueAsync(() => publisher.Failures >= 3, "three failed attempts to publish");
            var failed = Assert.Single(logs.Entries, e => e.EventId == 3023);
            Assert.Contains("database space exceeded", failed.Message, StringComparison.Ordinal);
            Assert.Equal(100, (await InEtcdAsync(reader))!.Weight); // etcd still serves the old announcement

            // A newer change replaces the publication still retrying: only the newest is ever put.
            long failuresBefore = publisher.Failures;
            GovernedHosts.Rewrite(path, Document(8, "red"));
            await Eventually.TrueAsync(() => logs.Entries.Count(e => e.EventId == 3020) == 2, "the second change to be accepted");
            await Eventually.TrueAsync(() => publisher.Failures >= failuresBefore + 2, "the newer announcement to fail too");

            // The operator clears the alarm: the next attempt goes through, with no change of the file.
            await NoSpaceAlarmAsync(raise: false);
            var after = await Eventually.ValueAsync(() => InEtcdAsync(reader), i => i?.Weight == 8, "the newer announcement in etcd");
            Assert.Equal("red", after!.Tags["lane"]);
            Assert.Equal(before.Id, after.Id);
            await server.Services.GetRequiredService<MeshworkGovernance>().ServerReloader!.LastPublication.WaitAsync(Eventually.Timeout);
            Assert.Single(logs.Entries, e => e.EventId == 3024);
            Assert.Equal(2, logs.Entries.Count(e => e.EventId == 3023)); // one first line per change
            Assert.DoesNotContain(logs.Entries, e => e.EventId is 3021 or 3025);
            Assert.Equal(8, (await InEtcdAsync(reader))!.Weight); // the replaced publication (weight 7) never landed
        }
        finally
        {
            await server.StopAsync(Eventually.Token());
        }
    }

    [Fact]
    public async Task A_publication_still_retrying_ends_when_the_host_stops()
    {
        var logs = new CapturingLoggerProvider();
        string path = _files.Write("server.yaml", Document(100, "green"));
        using var server = Server(path, logs);
        await server.StartAsync(Eventually.Token());
        await using var reader = new EtcdServiceRegistry(new EtcdDiscoveryOptions { Endpoint = _etcd.Endpoint });
        var reloader = server.Services.GetRequiredService<MeshworkGovernance>().ServerReloader!;
        await Eventually.TrueAsync(async () => await InEtcdAsync(reader) is not null, "the server's instance in etcd");

        await NoSpaceAlarmAsync(raise: true);
        GovernedHosts.Rewrite(path, Document(7, "blue"));
        await Eventually.TrueAsync(() => reloader.Publisher.Failures >= 1, "a failed attempt to publish");
        var retrying = reloader.LastPublication;
        Assert.False(retrying.IsCompleted);

        // The stop ends the retries (deletes are allowed under the alarm, so the drain deregisters the instance).
        await server.StopAsync(Eventually.Token());
        await retrying.WaitAsync(Eventually.Timeout);
        Assert.DoesNotContain(logs.Entries, e => e.EventId is 3024 or 3025);
        // Nothing publishes after the drain: with etcd writable again, the instance stays deregistered.
        await NoSpaceAlarmAsync(raise: false);
        Assert.Null(await InEtcdAsync(reader));
    }
}
