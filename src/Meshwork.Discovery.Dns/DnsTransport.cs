using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery.Dns;

/// <summary>
/// Sends one question to one DNS server: over UDP first, over TCP when the answer is truncated. A response counts
/// only if it carries the query's random id and the same question; anything else on the socket (late answers to an
/// earlier attempt, spoofed or malformed packets) is dropped and the wait goes on until the attempt's timeout.
/// </summary>
internal sealed class DnsTransport(IPEndPoint server, DnsDiscoveryOptions options, ILogger log)
{
    /// <summary>A DNS message over TCP carries a 16-bit length, so this is the largest message there is.</summary>
    private const int MaxMessageBytes = 65535;

    private readonly string _serverText = server.ToString();
    private long _malformed;
    private long _tcpFallbacks;
    private long _lastMalformedLogTicks = long.MinValue;

    /// <summary>Malformed responses received so far.</summary>
    public long MalformedResponses => Interlocked.Read(ref _malformed);

    /// <summary>Truncated UDP answers that were asked again over TCP.</summary>
    public long TcpFallbacks => Interlocked.Read(ref _tcpFallbacks);

    /// <summary>Asks <paramref name="name"/>/<paramref name="type"/> and returns the matching response (any response code).</summary>
    /// <exception cref="RegistryUnavailableException">No valid answer within the attempts, or the server refused the connection.</exception>
    public async Task<DnsResponse> QueryAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        Exception? last = null;
        for (int attempt = 0; attempt < options.Attempts; attempt++)
        {
            try
            {
                var response = await UdpAsync(name, type, cancellationToken).ConfigureAwait(false);
                if (response is null) continue; // timed out: try again
                if (!response.Truncated) return response;
                Interlocked.Increment(ref _tcpFallbacks);
                DnsLog.Truncated(log, name, _serverText);
                return await TcpAsync(name, type, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                // ICMP "port unreachable" (refused) and unreachable networks will not change within one resolve.
                last = e;
                if (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.NetworkUnreachable or SocketError.HostUnreachable) break;
            }
            catch (TimeoutException e)
            {
                last = e;
            }
        }
        string why = last switch
        {
            SocketException s => $"{s.SocketErrorCode} ({s.Message})",
            TimeoutException t => t.Message,
            _ => $"no answer within {options.Attempts} attempt(s) of {options.Timeout.TotalMilliseconds:0} ms",
        };
        throw new RegistryUnavailableException("dns", $"DNS server {_serverText} did not answer {type} {name}: {why}", last);
    }

    private async Task<DnsResponse?> UdpAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        ushort id = NewId();
        var query = new byte[DnsQueryWriter.MaxQueryBytes];
        int queryLength = DnsQueryWriter.Write(query, id, name, type, (ushort)options.UdpPayloadSize);
        // Room for the largest datagram, whatever was advertised: some servers send more than the client asked for,
        // and a short buffer would cut such an answer off instead of reading it.
        int receiveSize = MaxMessageBytes;
        var buffer = ArrayPool<byte>.Shared.Rent(receiveSize);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        try
        {
            // Connected: the kernel drops datagrams from other sources and reports ICMP refusals as errors.
            await socket.ConnectAsync(server, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(query.AsMemory(0, queryLength), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            while (true)
            {
                int received = await socket.ReceiveAsync(buffer.AsMemory(0, receiveSize), SocketFlags.None, timeout.Token).ConfigureAwait(false);
                var response = Accept(buffer.AsSpan(0, received), id, name, type);
                if (response is not null) return response;
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task<DnsResponse> TcpAsync(string name, DnsRecordType type, CancellationToken cancellationToken)
    {
        ushort id = NewId();
        var query = new byte[2 + DnsQueryWriter.MaxQueryBytes];
        int queryLength = DnsQueryWriter.Write(query.AsSpan(2), id, name, type, 0);
        BinaryPrimitives.WriteUInt16BigEndian(query, (ushort)queryLength);
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Timeout);
        var buffer = ArrayPool<byte>.Shared.Rent(MaxMessageBytes);
        try
        {
            await socket.ConnectAsync(server, timeout.Token).ConfigureAwait(false);
            await socket.SendAsync(query.AsMemory(0, 2 + queryLength), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            await ReadExactlyAsync(socket, buffer.AsMemory(0, 2), timeout.Token).ConfigureAwait(false);
            int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
            await ReadExactlyAsync(socket, buffer.AsMemory(0, length), timeout.Token).ConfigureAwait(false);
            return Accept(buffer.AsSpan(0, length), id, name, type)
                ?? throw new RegistryUnavailableException("dns", $"DNS server {_serverText} answered {type} {name} over TCP with a response to another question");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"no TCP answer within {options.Timeout.TotalMilliseconds:0} ms");
        }
        catch (EndOfStreamException)
        {
            throw new RegistryUnavailableException("dns", $"DNS server {_serverText} closed the TCP connection before answering {type} {name}");
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task ReadExactlyAsync(Socket socket, Memory<byte> into, CancellationToken ct)
    {
        while (into.Length > 0)
        {
            int n = await socket.ReceiveAsync(into, SocketFlags.None, ct).ConfigureAwait(false);
            if (n == 0) throw new EndOfStreamException();
            into = into[n..];
        }
    }

    /// <summary>The parsed response if it answers this query; null (and counted, if malformed) otherwise.</summary>
    private DnsResponse? Accept(ReadOnlySpan<byte> message, ushort id, string name, DnsRecordType type)
    {
        // Cheap id check before parsing: stray datagrams cost nothing.
        if (message.Length >= 2 && BinaryPrimitives.ReadUInt16BigEndian(message) != id) return null;
        DnsResponse response;
        try
        {
            response = DnsMessageReader.Parse(message);
        }
        catch (DnsFormatException e)
        {
            Malformed(e.Message);
            return null;
        }
        string asked = (name.EndsWith('.') ? name[..^1] : name).ToLowerInvariant();
        // A server that could not parse the query may answer without the question; its response code says why.
        if (response.QuestionName is null && response.Code != DnsResponseCode.NoError) return response;
        if (response.QuestionName != asked || response.QuestionType != (ushort)type) return null;
        return response;
    }

    private void Malformed(string reason)
    {
        long count = Interlocked.Increment(ref _malformed);
        // At most one warning per 10 s: a broken or hostile server must not flood the log.
        long now = Stopwatch.GetTimestamp();
        long last = Interlocked.Read(ref _lastMalformedLogTicks);
        if (last != long.MinValue && Stopwatch.GetElapsedTime(last, now) < TimeSpan.FromSeconds(10)) return;
        if (Interlocked.CompareExchange(ref _lastMalformedLogTicks, now, last) != last) return;
        DnsLog.Malformed(log, _serverText, reason, count);
    }

    private static ushort NewId() => (ushort)RandomNumberGenerator.GetInt32(0, 65536);
}
