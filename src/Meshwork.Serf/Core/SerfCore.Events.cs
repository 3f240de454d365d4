using Meshwork.Serf.Wire;

namespace Meshwork.Serf;

internal sealed partial class SerfCore
{
    private sealed class EventSlot(ulong ltime)
    {
        public ulong LTime { get; } = ltime;
        public List<(string Name, byte[] Payload)> Events { get; } = [];
    }

    private readonly EventSlot?[] _eventBuffer;
    private ulong _eventMinTime;

    /// <summary>Creates, delivers locally and gossips a user event.</summary>
    public void UserEvent(string name, byte[] payload, bool coalesce)
    {
        var size = System.Text.Encoding.UTF8.GetByteCount(name) + payload.Length;
        if (size > Options.UserEventSizeLimit)
        {
            throw new ArgumentException($"user event exceeds configured limit of {Options.UserEventSizeLimit} bytes before encoding");
        }
        var msg = new UserEventMessage(EventClock.Time, name, payload, coalesce);
        var raw = SerfCodec.Encode(SerfMessageType.UserEvent, msg.Write);
        if (raw.Length > Options.UserEventSizeLimit)
        {
            throw new ArgumentException($"encoded user event exceeds configured limit of {Options.UserEventSizeLimit} bytes after encoding");
        }
        EventClock.Increment();
        HandleUserEvent(msg);
        Enqueue(_eventQueue, raw);
    }

    /// <summary>De-duplicates by (LTime, name, payload) in the ring; returns true if new (deliver + re-gossip).</summary>
    internal bool HandleUserEvent(UserEventMessage e)
    {
        EventClock.Witness(e.LTime);
        if (e.LTime < _eventMinTime) { return false; }
        var now = EventClock.Time;
        var size = (ulong)_eventBuffer.Length;
        if (now > size && e.LTime < now - size) { return false; }
        var idx = (int)(e.LTime % size);
        var slot = _eventBuffer[idx];
        if (slot is not null && slot.LTime == e.LTime)
        {
            foreach (var (n, p) in slot.Events)
            {
                if (n == e.Name && p.AsSpan().SequenceEqual(e.Payload)) { return false; }
            }
        }
        else
        {
            slot = new EventSlot(e.LTime);
            _eventBuffer[idx] = slot;
        }
        slot.Events.Add((e.Name, e.Payload));
        Emit(new UserEventRecord(e.LTime, e.Name, e.Payload, e.CC));
        return true;
    }

    /// <summary>Restores clocks from a snapshot; events/queries at or before these times are ignored.</summary>
    public void RestoreClocks(ulong clock, ulong eventClock, ulong queryClock)
    {
        Clock.Witness(clock);
        EventClock.Witness(eventClock);
        QueryClock.Witness(queryClock);
        _eventMinTime = Math.Max(_eventMinTime, eventClock + 1);
        _queryMinTime = Math.Max(_queryMinTime, queryClock + 1);
    }
}
