using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Threading.Channels;

namespace Meshwork.Gossip.Transport;

/// <summary>An in-process network: transports exchange datagrams through channels and streams through pipes.</summary>
public sealed class InMemoryNetwork
{
    private readonly ConcurrentDictionary<IPEndPoint, InMemoryTransport> _endpoints = new();
    private int _nextPort = 10000;

    /// <summary>Probability in [0,1] that a datagram is silently dropped.</summary>
    public double PacketLoss { get; set; }

    /// <summary>Creates a transport on 127.0.0.1 with a fresh port.</summary>
    public ITransport CreateTransport()
    {
        var ep = new IPEndPoint(IPAddress.Loopback, Interlocked.Increment(ref _nextPort));
        var t = new InMemoryTransport(this, ep);
        _endpoints[ep] = t;
        return t;
    }

    /// <summary>Makes an endpoint unreachable (simulated crash) without disposing it.</summary>
    public void Disconnect(IPEndPoint ep) => _endpoints.TryRemove(ep, out _);

    private sealed class InMemoryTransport(InMemoryNetwork net, IPEndPoint ep) : ITransport
    {
        private readonly Channel<Packet> _packets = Channel.CreateUnbounded<Packet>();
        private readonly Channel<IncomingStream> _streams = Channel.CreateUnbounded<IncomingStream>();

        public IPEndPoint LocalEndPoint { get; } = ep;

        public ChannelReader<Packet> Packets => _packets.Reader;

        public ChannelReader<IncomingStream> Streams => _streams.Reader;

        public void SendPacket(IPEndPoint to, byte[] datagram)
        {
            if (!net._endpoints.ContainsKey(LocalEndPoint)) { return; }
            if (net.PacketLoss > 0 && Random.Shared.NextDouble() < net.PacketLoss) { return; }
            if (net._endpoints.TryGetValue(to, out var target)) { target._packets.Writer.TryWrite(new Packet(LocalEndPoint, datagram)); }
        }

        public Task<Stream> DialAsync(IPEndPoint to, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (!net._endpoints.ContainsKey(LocalEndPoint) || !net._endpoints.TryGetValue(to, out var target))
            {
                return Task.FromException<Stream>(new IOException($"connection refused: {to}"));
            }
            var a = new Pipe();
            var b = new Pipe();
            var mine = new DuplexStream(b.Reader.AsStream(), a.Writer.AsStream());
            var theirs = new DuplexStream(a.Reader.AsStream(), b.Writer.AsStream());
            target._streams.Writer.TryWrite(new IncomingStream(LocalEndPoint, theirs));
            return Task.FromResult<Stream>(mine);
        }

        public ValueTask DisposeAsync()
        {
            net._endpoints.TryRemove(LocalEndPoint, out _);
            _packets.Writer.TryComplete();
            _streams.Writer.TryComplete();
            return ValueTask.CompletedTask;
        }
    }

    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => output.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);
        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => input.ReadAsync(buffer, offset, count, cancellationToken);
        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);
        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);
        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => output.WriteAsync(buffer, offset, count, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) { output.Dispose(); input.Dispose(); }
            base.Dispose(disposing);
        }
    }
}
