using System.Text;
using Meshwork.Discovery;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace Meshwork.Governance.Configuration;

/// <summary>
/// Hot reload of the client's governance settings: follows the configuration's reload token (a JSON or YAML file
/// added with <c>reloadOnChange: true</c>) and, when the document's <c>Client</c> or <c>Application</c> section
/// changed, reads it again and puts it in force with <see cref="GovernedCallInvoker.Reconfigure"/>: balancers, rate
/// limits, bulkheads, breakers, retry budgets, fail modes and timeouts change without a restart. A change that does
/// not read (a bad value, a document without <c>Registry:Type</c>, as an unreadable file leaves it) is rejected with
/// one error line (event 4221) naming the key, and the settings in force stay. An accepted change logs event 4220.
/// The same content is applied or rejected once, however many change notifications the file system sends for it.
/// </summary>
public sealed class GovernanceReloader : IDisposable
{
    private readonly IConfiguration _root;
    private readonly GovernedCallInvoker _invoker;
    private readonly Action<GovernanceOptions>? _configure;
    private readonly ILogger _log;
    private readonly IDisposable _subscription;
    private readonly Lock _gate = new();
    private string _applied;
    private long _reloads;
    private long _rejected;

    /// <summary>Starts following <paramref name="root"/> (the document's root section) for <paramref name="invoker"/>.</summary>
    /// <param name="root">The section holding <c>Application</c>, <c>Registry</c> and <c>Client</c>, as given to <see cref="GovernanceDocument.Read"/>.</param>
    /// <param name="invoker">The invoker whose policies change.</param>
    /// <param name="loggerFactory">Where events 4220 and 4221 go.</param>
    /// <param name="configure">Applied to every newly read set of options before it is put in force (the code-side settings of the application, such as fallbacks).</param>
    public GovernanceReloader(IConfiguration root, GovernedCallInvoker invoker, ILoggerFactory? loggerFactory = null, Action<GovernanceOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(invoker);
        _root = root;
        _invoker = invoker;
        _configure = configure;
        _log = loggerFactory?.CreateLogger("Meshwork.Governance") ?? NullLogger.Instance;
        _applied = Fingerprint();
        _subscription = ChangeToken.OnChange(root.GetReloadToken, OnChanged);
    }

    /// <summary>Changes put in force.</summary>
    public long Reloads => Interlocked.Read(ref _reloads);

    /// <summary>Changes rejected (each logged once as event 4221).</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Reads the configuration now and applies it if it changed since the last attempt (what a reload notification does).</summary>
    /// <returns>True when new settings were put in force; false when nothing changed or the change was rejected.</returns>
    public bool ReloadNow()
    {
        lock (_gate)
        {
            string fingerprint = Fingerprint();
            if (fingerprint == _applied) return false;
            // Remembered before trying, so that the file system's repeated notifications for one write log one line.
            _applied = fingerprint;
            try
            {
                var options = GovernanceDocument.ReadClient(_root, _invoker.Options.Client);
                _configure?.Invoke(options);
                _invoker.Reconfigure(options);
                Interlocked.Increment(ref _reloads);
                GovernanceLog.Reloaded(_log, (_root as IConfigurationSection)?.Path ?? "(root)", options.Services.Count);
                return true;
            }
            catch (Exception e) when (e is DiscoveryConfigurationException or ArgumentException or FormatException)
            {
                Interlocked.Increment(ref _rejected);
                GovernanceLog.ReloadRejected(_log, e.Message);
                return false;
            }
        }
    }

    private void OnChanged()
    {
        try
        {
            ReloadNow();
        }
        catch (ObjectDisposedException)
        {
            // The invoker was disposed (the host is stopping): nothing left to reconfigure.
        }
    }

    /// <summary>The values that decide the client's settings, flattened: two reads with equal fingerprints give equal options.</summary>
    private string Fingerprint()
    {
        var text = new StringBuilder();
        foreach (var name in (ReadOnlySpan<string>)["Application", "Client", "Registry:Type"])
        {
            foreach (var (key, value) in _root.GetSection(name).AsEnumerable().OrderBy(p => p.Key, StringComparer.Ordinal)) text.Append(key).Append('=').Append(value).Append('\n');
        }
        return text.ToString();
    }

    /// <summary>Stops following the configuration.</summary>
    public void Dispose() => _subscription.Dispose();
}
