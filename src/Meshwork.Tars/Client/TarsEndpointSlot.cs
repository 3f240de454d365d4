using Meshwork.Internal;
using Meshwork.Rpc.Internal;
using Microsoft.Extensions.Logging;

namespace Meshwork.Tars;

/// <summary>
/// The connection to one endpoint, opened on first use and reopened after a failure, no sooner than a jittered,
/// doubling backoff allows; calls arriving during the backoff fail at once (Unavailable, TARS -8) naming the last error.
/// </summary>
internal sealed class TarsEndpointSlot
{
    private readonly TarsClientOptions _options;
    private readonly ILogger _log;
    private readonly LogRateLimiter _malformedLog;
    private readonly SemaphoreSlim _connectGate = new(1, 1);
    private TarsClientConnection? _connection;
    private long _retryAtMicros;
    private readonly JitteredBackoff _backoff;
    private string? _lastError;

    public TarsEndpointSlot(TarsEndpoint endpoint, TarsClientOptions options, ILogger log, LogRateLimiter malformedLog)
    {
        Endpoint = endpoint;
        _options = options;
        _log = log;
        _malformedLog = malformedLog;
        // Waits of 50–100 % of the nominal delay: clients that lost the same server do not reconnect in step.
        _backoff = new JitteredBackoff(options.ReconnectBackoffInitial, options.ReconnectBackoffMax, multiplier: 2, jitter: 0.5);
    }

    public TarsEndpoint Endpoint { get; }

    /// <summary>False while waiting out a reconnect backoff.</summary>
    public bool IsAvailable => Volatile.Read(ref _retryAtMicros) <= Clock.NowMicros;

    public async ValueTask<TarsClientConnection> GetAsync(CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _connection);
        if (current is { CanTakeCalls: true }) return current;
        await _connectGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            current = _connection;
            if (current is { CanTakeCalls: true }) return current;
            long now = Clock.NowMicros;
            if (_retryAtMicros > now)
            {
                throw TarsStatusMapping.ToRpcException(TarsReturnCode.ProxyConnectError,
                    $"TARS endpoint {Endpoint} is unreachable ({_lastError}); next connection attempt in {(_retryAtMicros - now) / 1000} ms");
            }
            try
            {
                current = await TarsClientConnection.ConnectAsync(Endpoint, _options, _log, _malformedLog, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                _lastError = e.Message;
                long jittered = (long)_backoff.Next().TotalMicroseconds;
                Volatile.Write(ref _retryAtMicros, Clock.NowMicros + jittered);
                TarsLog.ConnectFailed(_log, Endpoint.ToString(), e.Message, jittered / 1000);
                throw TarsStatusMapping.ToRpcException(TarsReturnCode.ProxyConnectError, $"cannot connect to TARS endpoint {Endpoint}: {e.Message}");
            }
            _backoff.Reset();
            _lastError = null;
            Volatile.Write(ref _connection, current);
            return current;
        }
        finally
        {
            _connectGate.Release();
        }
    }

    public void Close() => Volatile.Read(ref _connection)?.Close("the channel was disposed");
}
