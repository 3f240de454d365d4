namespace Meshwork.Rpc;

/// <summary>
/// Outcome of a call. The numeric values are part of the wire protocol (header key 7) and match
/// the gRPC status codes so that gateways and dashboards can map between the two without a table.
/// </summary>
public enum StatusCode
{
    /// <summary>The call completed successfully.</summary>
    OK = 0,
    /// <summary>The caller cancelled the call.</summary>
    Cancelled = 1,
    /// <summary>An error with no better code; the message says what happened.</summary>
    Unknown = 2,
    /// <summary>The request was malformed (could not be decoded, or failed validation).</summary>
    InvalidArgument = 3,
    /// <summary>The deadline expired before the call completed.</summary>
    DeadlineExceeded = 4,
    /// <summary>No such service or method on the server.</summary>
    NotFound = 5,
    /// <summary>The entity the call tried to create already exists.</summary>
    AlreadyExists = 6,
    /// <summary>The caller is authenticated but not allowed to make this call.</summary>
    PermissionDenied = 7,
    /// <summary>A limit was hit: concurrent calls, frame size, rate limit, quota.</summary>
    ResourceExhausted = 8,
    /// <summary>The system is not in a state required for the call.</summary>
    FailedPrecondition = 9,
    /// <summary>The call was aborted, typically by a concurrency conflict.</summary>
    Aborted = 10,
    /// <summary>An argument was outside the valid range.</summary>
    OutOfRange = 11,
    /// <summary>The method exists but is not implemented.</summary>
    Unimplemented = 12,
    /// <summary>An invariant broke on the server (an unhandled exception in a handler).</summary>
    Internal = 13,
    /// <summary>The service is unreachable or shutting down; the call may be retried elsewhere.</summary>
    Unavailable = 14,
    /// <summary>Unrecoverable data loss or corruption.</summary>
    DataLoss = 15,
    /// <summary>The caller presented no or invalid credentials.</summary>
    Unauthenticated = 16,
}
