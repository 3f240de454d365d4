using Meshwork.Gossip.Security;
using Meshwork.Gossip.Wire;

namespace Meshwork.Gossip;

/// <summary>
/// Checks our own options against the same invariants we enforce on peers, so that this node never announces a
/// name, version vector or interval that a Go peer would choke on. Violations are configuration errors.
/// </summary>
internal static class LocalInvariants
{
    public static void Validate(MemberlistOptions options)
    {
        if (PeerInvariants.CheckNodeName(options.Name ?? "") is { } name)
        {
            throw new ArgumentException($"MemberlistOptions.Name is invalid: {name.Detail}", nameof(options));
        }
        if (PeerInvariants.CheckVsnShape(options.Vsn) is { } vsn)
        {
            throw new ArgumentException($"MemberlistOptions.Vsn is invalid: {vsn.Detail}", nameof(options));
        }
        options.StreamTls?.Validate();
        options.StreamQuic?.Validate();
        if (options.StreamTls is not null && options.StreamQuic is not null)
        {
            throw new ArgumentException("MemberlistOptions.StreamTls and StreamQuic cannot both be set: QUIC carries its own TLS (StreamQuic.Tls)", nameof(options));
        }
        if (options.StreamQuic is not null && !QuicStreamOptions.IsSupported)
        {
            throw new PlatformNotSupportedException("MemberlistOptions.StreamQuic needs QUIC, which is not available here (libmsquic missing or unsupported OS)");
        }
        if (options.MalformedInputLogInterval <= TimeSpan.Zero || options.MalformedInputLogInterval > Diagnostics.GossipLogInterval.Max)
        {
            throw new ArgumentException($"MemberlistOptions.MalformedInputLogInterval must be positive and at most one day (got {options.MalformedInputLogInterval})", nameof(options));
        }
    }
}
