using System.Globalization;
using Meshwork.Rpc;

namespace Meshwork.Tars;

/// <summary>
/// Maps TARS return codes to Meshwork status codes and back, so governance (retries, breakers, fail-over) reads TARS
/// failures like any other: overload is ResourceExhausted, timeouts DeadlineExceeded, connection failures Unavailable.
/// </summary>
public static class TarsStatusMapping
{
    /// <summary>The Meshwork status for a non-zero <c>iRet</c>.</summary>
    /// <param name="returnCode">The TARS code.</param>
    /// <returns>The status.</returns>
    public static StatusCode ToStatus(int returnCode) => returnCode switch
    {
        TarsReturnCode.Success => StatusCode.OK,
        TarsReturnCode.ServerDecodeError => StatusCode.InvalidArgument,
        TarsReturnCode.ServerEncodeError => StatusCode.Internal,
        TarsReturnCode.NoFunction => StatusCode.Unimplemented,
        TarsReturnCode.NoServant => StatusCode.NotFound,
        TarsReturnCode.ResetGrid or TarsReturnCode.InvokeByInvalidSet => StatusCode.FailedPrecondition,
        TarsReturnCode.ServerQueueTimeout or TarsReturnCode.InvokeTimeout => StatusCode.DeadlineExceeded,
        TarsReturnCode.ProxyConnectError or TarsReturnCode.AdapterNull or TarsReturnCode.SendRequestError => StatusCode.Unavailable,
        TarsReturnCode.ServerOverload => StatusCode.ResourceExhausted,
        TarsReturnCode.ClientDecodeError => StatusCode.Internal,
        _ => StatusCode.Unknown,
    };

    /// <summary>The TARS code a server answers for a Meshwork status (a handler or middleware that threw <see cref="RpcException"/>).</summary>
    /// <param name="status">The status.</param>
    /// <returns>The TARS code.</returns>
    public static int ToReturnCode(StatusCode status) => status switch
    {
        StatusCode.OK => TarsReturnCode.Success,
        StatusCode.InvalidArgument => TarsReturnCode.ServerDecodeError,
        StatusCode.Unimplemented => TarsReturnCode.NoFunction,
        StatusCode.NotFound => TarsReturnCode.NoServant,
        StatusCode.DeadlineExceeded => TarsReturnCode.ServerQueueTimeout,
        StatusCode.ResourceExhausted or StatusCode.Unavailable => TarsReturnCode.ServerOverload,
        _ => TarsReturnCode.ServerUnknownError,
    };

    /// <summary>Builds the client-side exception for a failed TARS call; the code is kept in the <c>tars-ret</c> trailer.</summary>
    /// <param name="returnCode">The TARS code.</param>
    /// <param name="message">What happened.</param>
    /// <returns>The exception.</returns>
    public static RpcException ToRpcException(int returnCode, string message)
    {
        var trailers = new Metadata(1) { { TarsException.ReturnCodeTrailer, returnCode.ToString(CultureInfo.InvariantCulture) } };
        return new RpcException(ToStatus(returnCode), message, trailers);
    }

    /// <summary>The TARS code of a failed call, from its trailer, or from its status when there is none.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>The TARS code.</returns>
    public static int GetTarsReturnCode(this RpcException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (exception.Trailers?.Get(TarsException.ReturnCodeTrailer) is { } text
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int code))
        {
            return code;
        }
        return exception.Status switch
        {
            StatusCode.DeadlineExceeded => TarsReturnCode.InvokeTimeout,
            StatusCode.Unavailable => TarsReturnCode.ProxyConnectError,
            _ => ToReturnCode(exception.Status),
        };
    }
}
