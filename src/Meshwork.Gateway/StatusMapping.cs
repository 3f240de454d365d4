using Meshwork.Rpc;
using Microsoft.AspNetCore.Http;

namespace Meshwork.Gateway;

/// <summary>Maps call status codes to HTTP status codes, as gRPC-to-HTTP gateways do.</summary>
public static class StatusMapping
{
    /// <summary>The HTTP status for <paramref name="status"/>; 499 is the de-facto "client closed request".</summary>
    public static int ToHttp(StatusCode status) => status switch
    {
        StatusCode.OK => StatusCodes.Status200OK,
        StatusCode.Cancelled => StatusCodes.Status499ClientClosedRequest,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => StatusCodes.Status400BadRequest,
        StatusCode.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        StatusCode.NotFound => StatusCodes.Status404NotFound,
        StatusCode.AlreadyExists or StatusCode.Aborted => StatusCodes.Status409Conflict,
        StatusCode.PermissionDenied => StatusCodes.Status403Forbidden,
        StatusCode.Unauthenticated => StatusCodes.Status401Unauthorized,
        StatusCode.ResourceExhausted => StatusCodes.Status429TooManyRequests,
        StatusCode.Unimplemented => StatusCodes.Status501NotImplemented,
        StatusCode.Unavailable => StatusCodes.Status503ServiceUnavailable,
        _ => StatusCodes.Status500InternalServerError, // Unknown, Internal, DataLoss
    };
}
