namespace Meshwork.Tars;

/// <summary>
/// The parts of one outgoing request packet, handed to a connection so it can encode the packet straight into its
/// send buffer (see <see cref="TarsFrameBatcher"/>) instead of into a buffer of its own first.
/// </summary>
internal readonly record struct TarsRequestFrame(short Version, byte PacketType, int MessageType, int RequestId, string Servant, string Function,
    TarsParameterWriter Arguments, int Timeout, IReadOnlyDictionary<string, string>? Context, IReadOnlyDictionary<string, string>? Status)
{
    /// <summary>Writes the packet body (cached delegate: no allocation per call).</summary>
    public static readonly TarsFrame.BodyWriter<TarsRequestFrame> Writer = static (ref TarsWriter w, TarsRequestFrame r) =>
        TarsRequestPacket.Write(ref w, r.Version, r.PacketType, r.MessageType, r.RequestId, r.Servant, r.Function, r.Arguments.Buffer, r.Timeout,
            r.Context, r.Status);
}
