using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Meshwork.Rpc.Internal;

/// <summary>
/// The receiving half of a stream, shared by client and server: messages buffered up to the window this side granted,
/// credits handed back through <c>grant</c> once the consumer has drained half a window.
/// </summary>
internal sealed class InboundStream<T>(int window, Action<uint> grant)
{
    private readonly Channel<T> _items = Channel.CreateUnbounded<T>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private long _outstanding = window; // messages the peer may still send before it needs new credits

    public int Window => window;

    /// <summary>Accounts for one arriving message; false when the peer sent beyond the credits it was given.</summary>
    public bool TryAdmit() => Interlocked.Decrement(ref _outstanding) >= 0;

    public void Write(T item) => _items.Writer.TryWrite(item);

    public void Complete(Exception? error = null) => _items.Writer.TryComplete(error);

    /// <summary>Yields messages in order; <paramref name="cancelled"/> turns a cancelled wait into the caller's error type.</summary>
    public async IAsyncEnumerable<T> ReadAllAsync(Func<Exception> cancelled, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var reader = _items.Reader;
        int consumed = 0;
        while (true)
        {
            bool more;
            try
            {
                more = await reader.WaitToReadAsync(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw cancelled();
            }
            if (!more) yield break;
            while (reader.TryRead(out var item))
            {
                if (++consumed >= Math.Max(1, window / 2))
                {
                    Interlocked.Add(ref _outstanding, consumed);
                    grant((uint)consumed);
                    consumed = 0;
                }
                yield return item;
            }
        }
    }
}
