using Meshwork.Rpc;
using Meshwork.Security.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Meshwork.Security.Internal;

/// <summary>Every log line of the security layer, with stable event ids (5000–5099) for alerts and dashboards.</summary>
internal static partial class SecurityLog
{
    [LoggerMessage(EventId = 5000, Level = LogLevel.Warning, Message = "Refused call {Service}/{Method} from {Peer}: {Reason}, answered {Status}: {Explanation} ({Suppressed} more {Reason} refusals from {Source} not logged since the previous line)")]
    public static partial void CallRefused(ILogger logger, string service, string method, string peer, SecurityFailure reason, StatusCode status, string explanation, string source, long suppressed);

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "The token validator failed for {Service}/{Method} from {Peer} ({ExceptionType}: {ExceptionMessage}); answered Unavailable ({Suppressed} more failures from {Source} not logged since the previous line)")]
    public static partial void ValidatorFailed(ILogger logger, string service, string method, string peer, string exceptionType, string exceptionMessage, string source, long suppressed);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Security enabled: authentication by {Schemes}; {Rules} method policy rules; default policy: {DefaultPolicy}")]
    public static partial void Enabled(ILogger logger, string schemes, int rules, string defaultPolicy);
}
