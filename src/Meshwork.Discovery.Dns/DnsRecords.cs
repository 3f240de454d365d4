using System.Net;

namespace Meshwork.Discovery.Dns;

/// <summary>The record types this client asks for or reads (RFC 1035, 2782, 3596, 6891).</summary>
internal enum DnsRecordType : ushort
{
    A = 1,
    Cname = 5,
    Aaaa = 28,
    Srv = 33,
    Opt = 41,
}

/// <summary>Response codes of the DNS header (RFC 1035 §4.1.1).</summary>
internal enum DnsResponseCode
{
    NoError = 0,
    FormatError = 1,
    ServerFailure = 2,
    NameError = 3,
    NotImplemented = 4,
    Refused = 5,
}

/// <summary>A resource record this client understands. Names are lower case without the trailing dot.</summary>
internal abstract record DnsRecord(string Name, uint Ttl);

/// <summary>An SRV record: where the instances of a service listen (RFC 2782).</summary>
internal sealed record SrvRecord(string Name, uint Ttl, ushort Priority, ushort Weight, ushort Port, string Target) : DnsRecord(Name, Ttl);

/// <summary>An A or AAAA record.</summary>
internal sealed record AddressRecord(string Name, uint Ttl, IPAddress Address) : DnsRecord(Name, Ttl);

/// <summary>A CNAME record: <see cref="DnsRecord.Name"/> is an alias of <see cref="Target"/>.</summary>
internal sealed record CnameRecord(string Name, uint Ttl, string Target) : DnsRecord(Name, Ttl);

/// <summary>A parsed response: header facts and the records of the answer and additional sections.</summary>
internal sealed class DnsResponse
{
    public required ushort Id { get; init; }

    public required bool Truncated { get; init; }

    public required DnsResponseCode Code { get; init; }

    /// <summary>The question the response answers (lower case), or null if it carried none.</summary>
    public required string? QuestionName { get; init; }

    public required ushort QuestionType { get; init; }

    public required List<DnsRecord> Answers { get; init; }

    public required List<DnsRecord> Additional { get; init; }
}

/// <summary>A response that breaks the wire format (a length or pointer out of bounds, a pointer loop, ...).</summary>
internal sealed class DnsFormatException(string message) : Exception(message);
