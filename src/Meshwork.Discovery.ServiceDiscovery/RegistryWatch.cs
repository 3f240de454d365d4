using Meshwork.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Meshwork.Discovery.ServiceDiscovery;

/// <summary>
/// Follows one service's instance set through the registry's watch, in the background, and turns every change into
/// a fired change token. A failed watch keeps the last known set (callers keep working) and is re-opened with
/// jittered exponential backoff. One background task per watched service, stopped on dispose.
/// </summary>
internal sealed class RegistryWatch : IAsyncDisposable
{
    private readonly IServiceRegistry _registry;
    private readonly string _service;
    private readonly MeshworkEndpointProviderOptions _options;
    private readonly ILogger _log;
    private readonly JitteredBackoff _backoff;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _stop = new();
    private IReadOnlyList<ServiceInstance>? _current;
    private CancellationTokenSource _changed = new();
    private TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;

    public RegistryWatch(IServiceRegistry registry, string service, MeshworkEndpointProviderOptions options, ILogger log)
    {
        _registry = registry;
        _service = service;
        _options = options;
        _log = log;
        // Waits of 50–100 % of the nominal delay, so that many clients do not reconnect to a recovering registry in step.
        _backoff = new JitteredBackoff(options.ReconnectInitial, options.ReconnectMax, multiplier: 2, jitter: 0.5);
    }

    /// <summary>
    /// The current set and a token that fires when it is replaced. The first call starts the watch and waits (up to
    /// <see cref="MeshworkEndpointProviderOptions.FirstResolveTimeout"/>) for the first set.
    /// </summary>
    /// <exception cref="RegistryUnavailableException">The registry failed before it delivered any set, or did not answer in time.</exception>
    public async ValueTask<(IReadOnlyList<ServiceInstance> Instances, IChangeToken Changed)> CurrentAsync(CancellationToken cancellationToken)
    {
        Task first;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stop.IsCancellationRequested, this);
            if (_current is not null) return (_current, new CancellationChangeToken(_changed.Token));
            _loop ??= Task.Run(LoopAsync, CancellationToken.None);
            first = _first.Task;
        }
        try
        {
            await first.WaitAsync(_options.FirstResolveTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new RegistryUnavailableException(_registry.Name, $"no instance set for '{_service}' within {_options.FirstResolveTimeout.TotalSeconds:0.#} s", e);
        }
        lock (_gate) return (_current!, new CancellationChangeToken(_changed.Token));
    }

    private async Task LoopAsync()
    {
        var ct = _stop.Token;
        while (!ct.IsCancellationRequested)
        {
            Exception error;
            try
            {
                await foreach (var set in _registry.WatchAsync(_service, ct).ConfigureAwait(false))
                {
                    Publish(set);
                    _backoff.Reset();
                }
                if (ct.IsCancellationRequested) return;
                error = new RegistryUnavailableException(_registry.Name, "the watch ended");
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                error = e;
            }
            // The jittered wait is drawn before the failure is logged, so the line gives the wait actually taken.
            var wait = _backoff.Next();
            Failed(error, wait);
            try
            {
                await Task.Delay(wait, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void Publish(IReadOnlyList<ServiceInstance> set)
    {
        CancellationTokenSource? fired = null;
        TaskCompletionSource? first = null;
        lock (_gate)
        {
            if (_current is not null && InstanceSets.Same(_current, set)) return;
            if (_current is null) first = _first;
            else
            {
                fired = _changed;
                _changed = new CancellationTokenSource();
            }
            _current = set;
        }
        ServiceDiscoveryLog.Changed(_log, _service, _registry.Name, set.Count);
        first?.TrySetResult();
        // Fired outside the lock: the resolver's callback re-enters CurrentAsync.
        fired?.Cancel();
    }

    private void Failed(Exception error, TimeSpan delay)
    {
        int known;
        lock (_gate)
        {
            known = _current?.Count ?? 0;
            if (_current is null)
            {
                // Nobody has a set yet: fail the waiting resolves now rather than at their timeout, and wait anew.
                var waiting = _first;
                _first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiting.TrySetException(error as RegistryUnavailableException ?? new RegistryUnavailableException(_registry.Name, error.Message, error));
            }
        }
        ServiceDiscoveryLog.WatchFailed(_log, _service, _registry.Name, known, error.Message, delay);
    }

    public async ValueTask DisposeAsync()
    {
        Task? loop;
        lock (_gate)
        {
            if (_stop.IsCancellationRequested) return;
            _stop.Cancel();
            loop = _loop;
        }
        if (loop is not null) await loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
