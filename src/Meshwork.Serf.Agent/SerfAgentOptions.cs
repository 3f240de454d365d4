namespace Meshwork.Serf.Agent;

/// <summary>
/// Settings of a <see cref="SerfAgent"/>, named after serf's agent flags and config keys (in brackets). Defaults are
/// serf's unless a comment says why not.
/// </summary>
public sealed class SerfAgentOptions
{
    /// <summary>Node name [node_name]. Default: the host name, as serf.</summary>
    public string NodeName { get; set; } = Environment.MachineName;

    /// <summary>
    /// Gossip address ip[:port] for UDP and TCP [bind]. Default 127.0.0.1:7946: loopback rather than serf's 0.0.0.0,
    /// so that an agent started without flags is not reachable from the network by accident.
    /// </summary>
    public string BindAddress { get; set; } = "127.0.0.1:7946";

    /// <summary>Address announced to peers [advertise]. Default: the bind address.</summary>
    public string? AdvertiseAddress { get; set; }

    /// <summary>Client RPC ("IPC") address [rpc_addr]. Default 127.0.0.1:7373, as serf; port 0 picks a free port.</summary>
    public string RpcAddress { get; set; } = "127.0.0.1:7373";

    /// <summary>Key every RPC client must send with <c>auth</c> before other commands [rpc_auth]. Default: none.</summary>
    public string? RpcAuthKey { get; set; }

    /// <summary>Base64 gossip encryption key, 16/24/32 bytes [encrypt_key]. Default: no encryption.</summary>
    public string? EncryptKey { get; set; }

    /// <summary>Keyring file, a JSON list of base64 keys [keyring_file]; rewritten when keys rotate.</summary>
    public string? KeyringFile { get; set; }

    /// <summary>
    /// Certificate of this node for TLS on gossip streams [stream_tls_cert_file]: a PEM file (with the key in it or in
    /// <see cref="StreamTlsKeyFile"/>) or a PKCS#12 file (<c>.pfx</c>/<c>.p12</c>, without a password). Default none:
    /// plain streams, which serf agents need. A Meshwork extension; serf has no such option.
    /// </summary>
    public string? StreamTlsCertFile { get; set; }

    /// <summary>PEM private key of <see cref="StreamTlsCertFile"/> when it is not in the same file [stream_tls_key_file].</summary>
    public string? StreamTlsKeyFile { get; set; }

    /// <summary>
    /// PEM bundle of the CAs a peer's certificate must chain to [stream_tls_ca_file]. Default none: the system trust
    /// store (suits certificates from a public or enterprise CA).
    /// </summary>
    public string? StreamTlsCaFile { get; set; }

    /// <summary>
    /// With stream TLS on, still serve plain streams from peers without it [stream_tls_accept_plain]. Default false;
    /// set it only while turning TLS on across a running cluster.
    /// </summary>
    public bool StreamTlsAcceptPlain { get; set; }

    /// <summary>
    /// Resolves join and retry-join addresses, again at every attempt. Default: DNS (and <c>/etc/hosts</c>). Set from
    /// code only, for a service registry or a test.
    /// </summary>
    public Gossip.Transport.IAddressResolver AddressResolver { get; set; } = Gossip.Transport.DnsAddressResolver.Instance;

    /// <summary>Tags announced to peers [tags]. At most 512 bytes encoded, serf's limit.</summary>
    public Dictionary<string, string> Tags { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Tags file [tags_file]: tags are loaded from it at start (then it must not be combined with <see cref="Tags"/>,
    /// as serf refuses both) and it is rewritten whenever tags change over RPC.
    /// </summary>
    public string? TagsFile { get; set; }

    /// <summary>Addresses joined at start [start_join]; the agent stops with an error if none answers.</summary>
    public List<string> StartJoin { get; set; } = [];

    /// <summary>Addresses joined in the background until one answers [retry_join].</summary>
    public List<string> RetryJoin { get; set; } = [];

    /// <summary>Pause between retry-join attempts [retry_interval]. Default 30 s, serf's; at least 1 s.</summary>
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retry-join attempts before giving up [retry_max_attempts]; 0 = forever, serf's default.</summary>
    public int RetryMaxAttempts { get; set; }

    /// <summary>After a graceful leave, rejoin the snapshot's members on restart anyway [rejoin_after_leave].</summary>
    public bool Rejoin { get; set; }

    /// <summary>Replay old user events when joining [replay_on_join]. Default false: a joiner ignores history.</summary>
    public bool Replay { get; set; }

    /// <summary>Snapshot file [snapshot_path]: lets a restarted agent rejoin and keep its clocks.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary>Timing profile: lan, wan or local [profile]. Default lan.</summary>
    public string Profile { get; set; } = "lan";

    /// <summary>Serf protocol version to speak, 2..5 [protocol]. Default 5, serf 0.9.4's.</summary>
    public byte Protocol { get; set; } = 5;

    /// <summary>Event handlers, each <c>[filter=]script</c> [event_handlers], as <c>-event-handler</c> takes them.</summary>
    public List<string> EventHandlers { get; set; } = [];

    /// <summary>Log level: trace, debug, info, warn or err [log_level]. Default info.</summary>
    public string LogLevel { get; set; } = "info";

    /// <summary>On SIGTERM, leave gracefully instead of just stopping [leave_on_terminate]. Default false, as serf.</summary>
    public bool LeaveOnTerminate { get; set; }

    /// <summary>On SIGINT, stop without leaving [skip_leave_on_interrupt]. Default false, as serf.</summary>
    public bool SkipLeaveOnInterrupt { get; set; }

    /// <summary>
    /// Longest a handler script may run before it is killed and reported. Default 5 minutes: serf has no limit, but a
    /// hung script would hold its slot forever; five minutes is far above any sane handler.
    /// </summary>
    public TimeSpan HandlerTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>After this long a running handler is reported as slow (serf's 1 s warning).</summary>
    public TimeSpan HandlerSlowWarning { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Handler output captured, in bytes (serf's 8 KiB); a query handler's output is its response.</summary>
    public int HandlerOutputLimit { get; set; } = 8 * 1024;

    /// <summary>
    /// Events waiting for the handler scripts. Default 1024; when full, events for the handlers are dropped and
    /// counted, never delaying the node (serf blocks its event loop instead).
    /// </summary>
    public int HandlerQueueCapacity { get; set; } = 1024;

    /// <summary>Client RPC connections served at once. Default 256; more are refused at accept.</summary>
    public int MaxRpcClients { get; set; } = 256;

    /// <summary>Largest client RPC request object in bytes. Default 1 MiB, far above serf's 1 KiB query limit.</summary>
    public int MaxRpcRequestSize { get; set; } = 1024 * 1024;

    /// <summary>Events queued per RPC event stream before it drops (serf's 512).</summary>
    public int StreamQueueCapacity { get; set; } = 512;

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> naming the setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(NodeName)) throw new ArgumentException("node name must not be empty", nameof(NodeName));
        if (Profile is not ("lan" or "wan" or "local")) throw new ArgumentException($"profile must be lan, wan or local, got '{Profile}'", nameof(Profile));
        if (Protocol is < 2 or > 5) throw new ArgumentException($"protocol must be 2..5, got {Protocol}", nameof(Protocol));
        if (RetryInterval < TimeSpan.FromSeconds(1)) throw new ArgumentException($"retry interval must be at least 1s, got {RetryInterval}", nameof(RetryInterval));
        if (RetryMaxAttempts < 0) throw new ArgumentException("retry max attempts must not be negative", nameof(RetryMaxAttempts));
        if (EncryptKey is not null && KeyringFile is not null && File.Exists(KeyringFile))
        {
            throw new ArgumentException("encryption key not allowed while using a keyring", nameof(EncryptKey));
        }
        if (TagsFile is not null && Tags.Count > 0 && File.Exists(TagsFile))
        {
            throw new ArgumentException("tags not allowed while using tag files", nameof(TagsFile));
        }
        if (StreamTlsCertFile is null && (StreamTlsKeyFile is not null || StreamTlsCaFile is not null || StreamTlsAcceptPlain))
        {
            throw new ArgumentException("stream TLS key, CA and accept-plain need a stream TLS certificate (stream_tls_cert_file)", nameof(StreamTlsCertFile));
        }
        ArgumentNullException.ThrowIfNull(AddressResolver);
        AgentLogSink.ParseLevel(LogLevel);
        if (HandlerTimeout <= TimeSpan.Zero) throw new ArgumentException("handler timeout must be positive", nameof(HandlerTimeout));
        if (HandlerOutputLimit < 1) throw new ArgumentException("handler output limit must be positive", nameof(HandlerOutputLimit));
        if (HandlerQueueCapacity < 1) throw new ArgumentException("handler queue capacity must be positive", nameof(HandlerQueueCapacity));
        if (MaxRpcClients < 1) throw new ArgumentException("max RPC clients must be positive", nameof(MaxRpcClients));
        if (MaxRpcRequestSize < 1024) throw new ArgumentException("max RPC request size must be at least 1024 bytes", nameof(MaxRpcRequestSize));
        if (StreamQueueCapacity < 1) throw new ArgumentException("stream queue capacity must be positive", nameof(StreamQueueCapacity));
        foreach (var h in EventHandlers)
        {
            var (filters, script) = Events.EventHandlerRunner.Parse(h);
            if (script.Length == 0) throw new ArgumentException($"event handler '{h}' has no script", nameof(EventHandlers));
            if (filters.FirstOrDefault(f => !f.IsValid) is { } bad) throw new ArgumentException($"event handler '{h}': invalid event type '{bad.Event}'", nameof(EventHandlers));
        }
    }
}
