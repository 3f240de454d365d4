namespace Meshwork.Tars;

/// <summary>
/// <c>EndpointF</c> (EndpointF.tars): one endpoint as the TARS registry reports it. Tags 0-4 required, 5-13 optional
/// (tag 10 unused).
/// </summary>
internal sealed class EndpointF : ITarsStruct<EndpointF>
{
    public string Host { get; set; } = "";
    public int Port { get; set; }
    public int Timeout { get; set; }
    public int IsTcp { get; set; }
    public int Grid { get; set; }
    public int GroupWorkId { get; set; }
    public int GroupRealId { get; set; }
    public string SetId { get; set; } = "";
    public int Qos { get; set; }
    public int BakFlag { get; set; }
    public int Weight { get; set; }
    public int WeightType { get; set; }
    public int AuthType { get; set; }

    public static string TarsTypeName => "tars.EndpointF";

    public void WriteTo(ref TarsWriter writer)
    {
        writer.WriteString(0, Host);
        writer.WriteInt32(1, Port);
        writer.WriteInt32(2, Timeout);
        writer.WriteInt32(3, IsTcp);
        writer.WriteInt32(4, Grid);
        // Optional fields: written when they differ from their default (the C++ rule), so old readers see the same bytes.
        if (GroupWorkId != 0) writer.WriteInt32(5, GroupWorkId);
        if (GroupRealId != 0) writer.WriteInt32(6, GroupRealId);
        if (SetId.Length != 0) writer.WriteString(7, SetId);
        if (Qos != 0) writer.WriteInt32(8, Qos);
        if (BakFlag != 0) writer.WriteInt32(9, BakFlag);
        if (Weight != 0) writer.WriteInt32(11, Weight);
        if (WeightType != 0) writer.WriteInt32(12, WeightType);
        if (AuthType != 0) writer.WriteInt32(13, AuthType);
    }

    public static EndpointF ReadFrom(ref TarsReader reader) => new()
    {
        Host = reader.ReadString(0, true),
        Port = reader.ReadInt32(1, true),
        Timeout = reader.ReadInt32(2, true),
        IsTcp = reader.ReadInt32(3, true),
        Grid = reader.ReadInt32(4, true),
        GroupWorkId = reader.ReadInt32(5, false),
        GroupRealId = reader.ReadInt32(6, false),
        SetId = reader.ReadString(7, false),
        Qos = reader.ReadInt32(8, false),
        BakFlag = reader.ReadInt32(9, false),
        Weight = reader.ReadInt32(11, false),
        WeightType = reader.ReadInt32(12, false),
        AuthType = reader.ReadInt32(13, false),
    };

    public static readonly TarsValueWriter<EndpointF> WriteElement = static (ref TarsWriter w, int tag, EndpointF e) => w.WriteStruct(tag, e);

    public static readonly TarsValueReader<EndpointF> ReadElement = static (ref TarsReader r, int tag) => r.ReadStruct(tag, true, new EndpointF());

    public static readonly TarsValueWriter<List<EndpointF>> WriteList = static (ref TarsWriter w, int tag, List<EndpointF> list) => w.WriteList(tag, list, WriteElement);

    public static readonly TarsValueReader<List<EndpointF>> ReadList = static (ref TarsReader r, int tag) => r.ReadList(tag, true, ReadElement);

    public TarsEndpoint ToEndpoint() => new(IsTcp switch { 0 => TarsTransport.Udp, 2 => TarsTransport.Ssl, _ => TarsTransport.Tcp }, Host, Port)
    {
        Timeout = Timeout,
        Grid = Grid,
        Qos = Qos,
        Weight = Weight == 0 ? -1 : Weight,
        WeightType = WeightType,
        AuthType = AuthType,
    };

    public static EndpointF FromEndpoint(TarsEndpoint e) => new()
    {
        Host = e.Host,
        Port = e.Port,
        Timeout = e.Timeout,
        IsTcp = (int)e.Transport,
        Grid = e.Grid,
        Qos = e.Qos,
        Weight = e.Weight < 0 ? 0 : e.Weight,
        WeightType = e.WeightType,
        AuthType = e.AuthType,
    };
}
