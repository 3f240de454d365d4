using Microsoft.Extensions.Logging;

namespace Meshwork.Gossip.Composite;

internal static partial class DelegateLog
{
    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "Delegate #{Index} ({Type}) threw in {Hook}: {ExceptionType}: {ExceptionMessage}; the other delegates ran ({Suppressed} more failures of this delegate and hook not logged since the previous line)")]
    public static partial void DelegateFailed(ILogger logger, int index, string type, string hook, string exceptionType, string exceptionMessage, long suppressed);
}
