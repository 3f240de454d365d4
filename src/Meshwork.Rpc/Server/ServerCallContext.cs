using System.Security.Claims;
using System.Security.Cryptography.X509Certificates;
using Meshwork.Rpc.Protocol;

namespace Meshwork.Rpc.Server;

/// <summary>
/// Per-call state handed to handlers and middleware: names, headers, trailers, deadline and cancellation.
/// The cancellation token fires when the client cancels, the deadline passes, the connection drops, or a drain times out.
/// A context is valid only until its call has ended (the handler's task completed): the server reuses the contexts of
/// unary calls for later calls, so neither the context nor its <see cref="Items"/> may be kept or used after that.
/// </summary>
public sealed class ServerCallContext
{
    private CancellationTokenSource? _cts;
    private volatile int _cancelled; // 0 no, else (int)StatusCode of the reason
    private Metadata? _trailers;
    private Dictionary<string, object?>? _items;

    internal ServerCallContext(string service, string method, CallKind kind, string peer, Metadata? headers, long deadlineMicros) =>
        Initialize(service, method, kind, peer, headers, deadlineMicros);

    /// <summary>
    /// Sets the per-call fields; together with <see cref="Release"/> this is what lets a pooled unary call reuse its
    /// context. Every field a call can change must be reset here or in <see cref="Release"/>, or it leaks into the
    /// next call that reuses this object.
    /// </summary>
    internal void Initialize(string service, string method, CallKind kind, string peer, Metadata? headers, long deadlineMicros)
    {
        Service = service;
        Method = method;
        Kind = kind;
        Peer = peer;
        RequestHeaders = headers;
        DeadlineMicros = deadlineMicros;
    }

    /// <summary>Service name of the call.</summary>
    public string Service { get; private set; } = "";
    /// <summary>Method name of the call.</summary>
    public string Method { get; private set; } = "";
    /// <summary>Shape of the call.</summary>
    public CallKind Kind { get; private set; }

    /// <summary>Remote address of the caller.</summary>
    public string Peer { get; private set; } = "";

    /// <summary>
    /// The certificate the client presented in the TLS handshake (mutual TLS), already accepted by
    /// <see cref="Transport.TlsServerOptions.ClientCertificateValidation"/>; null over plaintext or when the client sent
    /// none. The same instance for every call of a connection; it lives as long as the connection.
    /// </summary>
    public X509Certificate2? ClientCertificate => (Call as ServerCall)?.Connection.ClientCertificate;

    /// <summary>
    /// The caller's identity, set by authentication middleware (see Meshwork.Security) for the handler and later
    /// middleware; null while nothing has authenticated the call, so calls on servers without authentication pay nothing.
    /// </summary>
    public ClaimsPrincipal? User { get; set; }

    /// <summary>Headers sent by the client (null when none).</summary>
    public Metadata? RequestHeaders { get; private set; }

    /// <summary>Metadata returned to the client with the response.</summary>
    public Metadata ResponseTrailers => _trailers ??= new Metadata();

    internal Metadata? TrailersIfAny => _trailers;

    internal long DeadlineMicros { get; private set; }

    /// <summary>Time left before the client's deadline, or null when the client set none.</summary>
    public TimeSpan? RemainingTime => DeadlineMicros == 0 ? null : TimeSpan.FromMicroseconds(Math.Max(0, DeadlineMicros - Internal.Clock.NowMicros));

    /// <summary>The decoded request, for middleware (null for client-streaming and duplex calls).</summary>
    public object? Request { get; set; }

    /// <summary>The reply, for middleware; setting it without calling next short-circuits the handler.</summary>
    public object? Response { get; set; }

    /// <summary>Free-form state shared by middleware and the handler of one call.</summary>
    public IDictionary<string, object?> Items => _items ??= new Dictionary<string, object?>();

    /// <summary>Why the call was cancelled (Cancelled, DeadlineExceeded, Unavailable), or OK while it is live.</summary>
    public StatusCode CancellationReason => (StatusCode)_cancelled;

    /// <summary>Created on first use, so calls whose handlers never look at it do not pay for a token source.</summary>
    public CancellationToken CancellationToken
    {
        get
        {
            var cts = Volatile.Read(ref _cts);
            if (cts is null)
            {
                cts = new CancellationTokenSource();
                var raced = Interlocked.CompareExchange(ref _cts, cts, null);
                if (raced is not null)
                {
                    cts.Dispose();
                    cts = raced;
                }
                else if (_cancelled != 0)
                {
                    cts.Cancel();
                }
            }
            return cts.Token;
        }
    }

    internal void Cancel(StatusCode reason)
    {
        if (Interlocked.CompareExchange(ref _cancelled, (int)reason, 0) != 0) return;
        var cts = Volatile.Read(ref _cts);
        try
        {
            cts?.Cancel();
        }
        catch (Exception)
        {
            // A handler's cancellation callback threw (or the source is gone). It runs on a timer or the read loop,
            // where an escaping exception would take down the connection or the process; the call still ends.
        }
    }

    /// <summary>The call this context belongs to, for streaming terminals.</summary>
    internal object? Call { get; set; }

    private List<object>? _disposables;

    /// <summary>Disposes <paramref name="resource"/> when the call has ended (for example a per-call DI scope).</summary>
    public void RegisterForDispose(IDisposable resource) => AddDisposable(resource);

    /// <summary>Disposes <paramref name="resource"/> asynchronously when the call has ended.</summary>
    public void RegisterForDispose(IAsyncDisposable resource) => AddDisposable(resource);

    private void AddDisposable(object resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var list = Volatile.Read(ref _disposables);
        if (list is null)
        {
            list = new List<object>();
            list = Interlocked.CompareExchange(ref _disposables, list, null) ?? list;
        }
        lock (list) list.Add(resource);
    }

    /// <summary>
    /// Ends the call's use of this context: disposes what was registered, and clears every per-call field so that a
    /// pooled call can reuse the object (see <see cref="Initialize"/>). The token source is kept for the next call when it
    /// was never cancelled (<see cref="CancellationTokenSource.TryReset"/> drops its registrations), otherwise disposed.
    /// </summary>
    internal void Release()
    {
        var cts = _cts;
        if (cts is not null && !cts.TryReset())
        {
            cts.Dispose();
            _cts = null;
        }
        _cancelled = 0;
        _trailers = null;
        _items?.Clear();
        Request = null;
        Response = null;
        RequestHeaders = null;
        User = null; // never carry one caller's identity into the next call that reuses this context
        DisposeRegistered();
    }

    private void DisposeRegistered()
    {
        var taken = Interlocked.Exchange(ref _disposables, null);
        if (taken is null) return;
        object[] disposables;
        lock (taken) disposables = taken.ToArray();
        for (int i = disposables.Length - 1; i >= 0; i--)
        {
            try
            {
                switch (disposables[i])
                {
                    case IAsyncDisposable a:
                        var pending = a.DisposeAsync();
                        if (!pending.IsCompletedSuccessfully) _ = ObserveAsync(pending);
                        else pending.GetAwaiter().GetResult();
                        break;
                    case IDisposable d:
                        d.Dispose();
                        break;
                }
            }
            catch (Exception)
            {
                // Cleanup failures must not fail a call that has already been answered.
            }
        }
    }

    private static async Task ObserveAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception)
        {
        }
    }
}
