namespace Meshwork.Tars;

/// <summary>Values of <c>iVersion</c> (BaseF.tars).</summary>
public static class TarsVersion
{
    /// <summary>TARS: arguments by position (tag i), the reply is a ResponsePacket.</summary>
    public const short Tars = 1;
    /// <summary>TUP "complex" (Java, Node): arguments by name with type names; the reply is a RequestPacket.</summary>
    public const short TupComplex = 2;
    /// <summary>TUP "simple": arguments by name; the reply is a RequestPacket.</summary>
    public const short Tup = 3;
    /// <summary>
    /// TARS JSON (TarsCpp, TarsGo, gateways): <c>sBuffer</c> is a UTF-8 JSON object of parameters by name, the return value
    /// under <c>tars_ret</c>; the reply is a ResponsePacket. Structs are not carried (see docs/tars.md).
    /// </summary>
    public const short Json = 5;

    /// <summary>True for the TUP versions (2 and 3), whose replies are RequestPackets.</summary>
    /// <param name="version">An <c>iVersion</c>.</param>
    /// <returns>Whether it is a TUP version.</returns>
    public static bool IsTup(short version) => version is TupComplex or Tup;
}

/// <summary>Values of <c>cPacketType</c>.</summary>
public static class TarsPacketType
{
    /// <summary>A call that expects exactly one reply.</summary>
    public const byte Normal = 0;
    /// <summary>Fire and forget: the server sends nothing back, not even errors.</summary>
    public const byte OneWay = 1;
}

/// <summary>Framework return codes (<c>iRet</c>, BaseF.tars). Any non-zero value is a failure.</summary>
public static class TarsReturnCode
{
    /// <summary>Success.</summary>
    public const int Success = 0;
    /// <summary>The server could not decode the request or its arguments.</summary>
    public const int ServerDecodeError = -1;
    /// <summary>The server could not encode the reply.</summary>
    public const int ServerEncodeError = -2;
    /// <summary>No such function on this servant.</summary>
    public const int NoFunction = -3;
    /// <summary>No such servant at this endpoint.</summary>
    public const int NoServant = -4;
    /// <summary>Grid/grey routing state mismatch.</summary>
    public const int ResetGrid = -5;
    /// <summary>The request waited in the server longer than its <c>iTimeout</c>.</summary>
    public const int ServerQueueTimeout = -6;
    /// <summary>The call timed out at the client (client-local).</summary>
    public const int InvokeTimeout = -7;
    /// <summary>Connection error (client-local).</summary>
    public const int ProxyConnectError = -8;
    /// <summary>The server is overloaded (its queue or in-flight limit is full).</summary>
    public const int ServerOverload = -9;
    /// <summary>No endpoint is available (client-local).</summary>
    public const int AdapterNull = -10;
    /// <summary>Illegal set-routing call.</summary>
    public const int InvokeByInvalidSet = -11;
    /// <summary>The client could not decode the reply (client-local).</summary>
    public const int ClientDecodeError = -12;
    /// <summary>Sending the request failed (client-local).</summary>
    public const int SendRequestError = -13;
    /// <summary>Any other server-side failure (an unhandled exception).</summary>
    public const int ServerUnknownError = -99;
}

/// <summary>Well-known <c>status</c> map keys and function names.</summary>
public static class TarsKeys
{
    /// <summary>TUP replies: the decimal return code (absent means 0).</summary>
    public const string StatusResultCode = "STATUS_RESULT_CODE";
    /// <summary>TUP replies: the result text (absent means "").</summary>
    public const string StatusResultDesc = "STATUS_RESULT_DESC";
    /// <summary>The heartbeat function every servant answers.</summary>
    public const string Ping = "tars_ping";
    /// <summary>TUP key of the return value (alongside "" in C++ and Go replies).</summary>
    public const string TupReturn = "tars_ret";
    /// <summary>TUP key of the return value as every implementation writes it.</summary>
    public const string TupReturnEmpty = "";
}
