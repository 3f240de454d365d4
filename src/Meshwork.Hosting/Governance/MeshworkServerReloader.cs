using System.Text;
using Meshwork.Discovery;
using Meshwork.Governance.Configuration;
using Meshwork.Governance.Server;
using Meshwork.Hosting.Internal;
using Meshwork.Rpc.Server;
using Meshwork.Security;
using Meshwork.Security.Client;
using Meshwork.Security.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Meshwork.Hosting.Governance;

/// <summary>
/// Hot reload of what the client reloader (<see cref="GovernanceReloader"/>) does not cover: the hosted server's rate
/// limits (<c>Server:Limits</c>) and its concurrency limit (<c>Server:MaxConcurrentCalls</c>), its security
/// (<c>Security</c>: policies, bearer tokens, HMAC keys), the announcement (version, weight, zone, tags, metadata,
/// announced services, advertised address: published to the registry again), and the clients'
/// <c>Security:Credentials</c>. A change is read and checked as a whole first; one bad value rejects all of it
/// with one error line (event 3021) naming the key, and every setting in force stays. An accepted change logs event
/// 3020 naming what changed; a changed announcement the registry cannot take is retried
/// (<see cref="AnnouncementPublisher"/>). Keys read at start only (<c>Registry</c>, the server's listen and connection
/// keys, <c>Client:Channel</c>) are left as they run, with one warning (event 3022) naming them per distinct change.
/// </summary>
internal sealed class MeshworkServerReloader : IDisposable
{
    // The parts of the document this reloader follows; the client reloader follows Application, Client and Registry:Type.
    private static readonly string[] s_sections = ["Application", "Registry", "Server", "Security", "Client:Channel"];
    private static readonly string[] s_announcementKeys = ["Advertise", "Register", "Services", "Version", "Zone", "Weight", "Tags", "Metadata", "Drain"];

    private readonly MeshworkGovernance _governance;
    private readonly IConfigurationSection _root;
    private readonly ILogger _log;
    private readonly IDisposable _subscription;
    private readonly AnnouncementPublisher _publisher;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, string?> _started;
    private string _applied;
    private string _limits;
    private string _security;
    private string _credentials;
    private string _announcement;
    private string _restartWarned = "";
    private long _reloads;
    private long _rejected;

    public MeshworkServerReloader(MeshworkGovernance governance)
    {
        _governance = governance;
        _root = governance.Section;
        _log = governance.LoggerFactory?.CreateLogger("Meshwork.Hosting.Reload") ?? NullLogger.Instance;
        _started = Flatten();
        _applied = Fingerprint(_started, s_sections);
        _limits = Fingerprint(_started, ["Server:Limits"]);
        _security = SecurityFingerprint(_started);
        _credentials = Fingerprint(_started, ["Security:Credentials"]);
        _announcement = AnnouncementFingerprint(_started);
        var stopping = governance.Services.GetService<IHostApplicationLifetime>()?.ApplicationStopping ?? CancellationToken.None;
        _publisher = new AnnouncementPublisher(_log, stopping);
        _subscription = ChangeToken.OnChange(_root.GetReloadToken, OnChanged);
    }

    /// <summary>Changes put in force.</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>Changes rejected.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>The last publication of a changed announcement (for tests and the drain; completed when none).</summary>
    public Task LastPublication { get; private set; } = Task.CompletedTask;

    /// <summary>Reads the document now and applies what changed since the last attempt.</summary>
    /// <returns>True when something was put in force.</returns>
    public bool ReloadNow()
    {
        lock (_gate)
        {
            var values = Flatten();
            string fingerprint = Fingerprint(values, s_sections);
            if (fingerprint == _applied) return false;
            // Remembered before trying, so that the file system's repeated notifications for one write log one line.
            _applied = fingerprint;
            WarnRestartNeeded(values);
            if (string.IsNullOrWhiteSpace(_root["Registry:Type"]))
            {
                // An empty or unreadable file: the client reloader rejects it with one line (event 4221) that says
                // the settings in force stay; they stay here too, and a second line would say nothing new.
                Interlocked.Increment(ref _rejected);
                return false;
            }
            try
            {
                return Apply(values);
            }
            catch (Exception e) when (e is DiscoveryConfigurationException or FormatException or ArgumentException or InvalidOperationException or OptionsValidationException)
            {
                Interlocked.Increment(ref _rejected);
                HostingLog.ServerReloadRejected(_log, e.Message);
                return false;
            }
        }
    }

    /// <summary>Reads and checks every changed part, then puts them in force; nothing changes when one read fails.</summary>
    private bool Apply(Dictionary<string, string?> values)
    {
        var services = _governance.Services;
        var holder = services.GetService<SecurityMiddlewareHolder>();
        var limits = _governance.ServerLimits; // set once the server is built
        var discoverable = _governance.Server; // set once the server is started
        string limitsPrint = Fingerprint(values, ["Server:Limits"]);
        string securityPrint = SecurityFingerprint(values);
        string credentialsPrint = Fingerprint(values, ["Security:Credentials"]);
        string announcementPrint = AnnouncementFingerprint(values);

        // 1. Read and check everything.
        var application = ApplicationOptions.Read(_root.GetSection("Application"));
        var server = limits is null ? null : ServerSettings.Read(_root.GetSection("Server"), application);
        var rateLimits = server?.RateLimits ?? new ServerRateLimitOptions();
        rateLimits.Validate();
        SecurityOptions? security = null;
        if (limits is not null && holder is not null && securityPrint != _security)
        {
            security = ServerSecurity.Read(_root.GetSection("Security"));
            if (security is null && holder.Current is not null)
            {
                throw new SecurityConfigurationException(_root.GetSection("Security").Path,
                    "the server's security cannot be turned off by a reload (a partly written file must never open the server); restart the process to run without it");
            }
        }
        CallCredentials? credentials = null;
        bool credentialsChanged = credentialsPrint != _credentials && _governance.Credentials is not null;
        if (credentialsChanged) credentials = SecurityConfiguration.ReadCredentials(_root.GetSection("Security"));
        int? maxCalls = null;
        if (discoverable is not null)
        {
            // The options as a restart would build them (configuration, then the application's callbacks, then the checks).
            var fresh = services.GetRequiredService<IOptionsFactory<RpcServerOptions>>().Create(Options.DefaultName);
            if (fresh.MaxConcurrentCalls != discoverable.Server.Options.MaxConcurrentCalls) maxCalls = fresh.MaxConcurrentCalls;
        }
        bool announce = discoverable is not null && server is not null && announcementPrint != _announcement;
        if (announce) CheckAnnouncedServices(server!.Announcement, discoverable!.Server);

        // 2. Put it in force.
        var changes = new List<string>();
        if (limits is not null && limitsPrint != _limits)
        {
            limits.Reconfigure(rateLimits);
            _limits = limitsPrint;
            changes.Add($"server rate limits ({rateLimits.Methods.Count} method, {rateLimits.Services.Count} service, per caller {(rateLimits.PerCaller is { } pc ? pc.ToString() : "none")})");
        }
        if (security is not null)
        {
            holder!.Reconfigure(security, _governance.LoggerFactory);
            changes.Add($"security ({security.Methods.Rules.Count} method rules, default {security.Methods.Default.Description})");
        }
        if (limits is not null) _security = securityPrint;
        if (credentialsChanged)
        {
            _governance.Credentials!.Current = credentials;
            _credentials = credentialsPrint;
            changes.Add(credentials is null ? "client credentials (removed: calls go unsigned)" : "client credentials");
        }
        if (maxCalls is { } max)
        {
            // Read by the server for every new call; calls in flight keep their slot.
            discoverable!.Server.Options.MaxConcurrentCalls = max;
            changes.Add($"MaxConcurrentCalls {max}");
        }
        if (announce)
        {
            _announcement = announcementPrint;
            var a = server!.Announcement;
            changes.Add($"announcement (version {a.Version}, weight {a.Weight}, zone {a.Zone ?? "none"}, {a.Tags.Count} tags, {a.Metadata.Count} metadata)");
            // In the background (the registry may be slow or down): retried until published, replaced by the next
            // change, or the host stops.
            LastPublication = _publisher.PublishAsync(discoverable!, a);
        }
        if (changes.Count == 0) return false;
        Interlocked.Increment(ref _reloads);
        HostingLog.ServerReloaded(_log, _root.Path, string.Join("; ", changes));
        return true;
    }

    private static void CheckAnnouncedServices(ServiceAnnouncement announcement, RpcServer server)
    {
        if (announcement.Services is not { } only) return;
        var missing = only.Where(name => !server.Services.Any(s => s.Name == name)).Order(StringComparer.Ordinal).ToArray();
        if (missing.Length > 0)
        {
            throw new DiscoveryConfigurationException("Server:Services", $"names services the server does not host: {string.Join(", ", missing)}");
        }
    }

    /// <summary>One warning per distinct set of changed start-only keys (names only: values may be secrets).</summary>
    private void WarnRestartNeeded(Dictionary<string, string?> values)
    {
        var changed = _started.Keys.Union(values.Keys).Where(IsStartOnly)
            .Where(k => !(_started.TryGetValue(k, out var a) && values.TryGetValue(k, out var b) && a == b))
            .Order(StringComparer.Ordinal).ToArray();
        if (changed.Length == 0)
        {
            _restartWarned = "";
            return;
        }
        string text = string.Join(", ", changed.Take(8)) + (changed.Length > 8 ? $" and {changed.Length - 8} more" : "");
        string print = string.Join("\n", changed.Select(k => k + "=" + values.GetValueOrDefault(k)));
        if (print == _restartWarned) return;
        _restartWarned = print;
        HostingLog.RestartNeeded(_log, text);
    }

    /// <summary>Keys read at start only: the registry, the server's RPC keys other than MaxConcurrentCalls, the channel template; the credentials when the process started without them.</summary>
    private bool IsStartOnly(string key)
    {
        string relative = Relative(key);
        if (relative.StartsWith("Registry:", StringComparison.OrdinalIgnoreCase) || relative.Equals("Registry", StringComparison.OrdinalIgnoreCase)) return true;
        if (relative.StartsWith("Client:Channel", StringComparison.OrdinalIgnoreCase)) return true;
        if (relative.StartsWith("Security:Credentials", StringComparison.OrdinalIgnoreCase)) return _governance.Credentials is null;
        if (relative.StartsWith("Server:", StringComparison.OrdinalIgnoreCase) && _governance.ServerLimits is not null)
        {
            string first = relative["Server:".Length..].Split(':')[0];
            return !ServerSettings.GovernanceKeys.Contains(first, StringComparer.OrdinalIgnoreCase)
                && !first.Equals("MaxConcurrentCalls", StringComparison.OrdinalIgnoreCase);
        }
        return false;
    }

    private string Relative(string key) => _root.Path.Length == 0 ? key : key.Length > _root.Path.Length ? key[(_root.Path.Length + 1)..] : "";

    /// <summary>Every value of the document, by full path; sections without a value are left out.</summary>
    private Dictionary<string, string?> Flatten()
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var name in s_sections)
        {
            foreach (var (key, value) in _root.GetSection(name).AsEnumerable())
            {
                if (value is not null) values[key] = value;
            }
        }
        return values;
    }

    private string Fingerprint(Dictionary<string, string?> values, string[] prefixes, string[]? except = null)
    {
        var text = new StringBuilder();
        foreach (var (key, value) in values.OrderBy(p => p.Key, StringComparer.OrdinalIgnoreCase))
        {
            string relative = Relative(key);
            if (!prefixes.Any(p => Under(relative, p))) continue;
            if (except is not null && except.Any(p => Under(relative, p))) continue;
            text.Append(relative).Append('=').Append(value).Append('\n');
        }
        return text.ToString();
    }

    private static bool Under(string key, string prefix) =>
        key.Equals(prefix, StringComparison.OrdinalIgnoreCase) || (key.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && key.Length > prefix.Length && key[prefix.Length] == ':');

    private string SecurityFingerprint(Dictionary<string, string?> values) => Fingerprint(values, ["Security"], ["Security:Credentials"]);

    private string AnnouncementFingerprint(Dictionary<string, string?> values) =>
        Fingerprint(values, ["Application", .. s_announcementKeys.Select(k => "Server:" + k)]);

    private void OnChanged()
    {
        try
        {
            ReloadNow();
        }
        catch (ObjectDisposedException)
        {
            // The host is stopping: nothing left to reconfigure.
        }
    }

    /// <summary>The publisher of changed announcements (it retries while the registry cannot take one).</summary>
    public AnnouncementPublisher Publisher => _publisher;

    /// <summary>Stops following the configuration, and ends a publication still retrying.</summary>
    public void Dispose()
    {
        _subscription.Dispose();
        _publisher.Dispose();
    }
}
