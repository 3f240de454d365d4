using Meshwork.Discovery.ZooKeeper.Protocol;

namespace Meshwork.Discovery.ZooKeeper.Client;

/// <summary>Decodes a reply body; runs on the connection's receive loop, in reply order.</summary>
internal delegate T ReplyParser<T>(ref JuteReader body);

/// <summary>
/// Turns an error reply into a result instead of a failure (exists answers NoNode for an absent node, and still sets
/// its watch); runs on the receive loop like a parser. Returns false to fail the request with the error.
/// </summary>
internal delegate bool ErrorParser<T>(ZooKeeperErrorCode code, out T value);

/// <summary>A request sent and not yet answered. Replies arrive in the order requests were sent.</summary>
internal abstract class PendingRequest
{
    protected PendingRequest(OpCode op, string? path)
    {
        Op = op;
        Path = path;
    }

    public int Xid { get; set; }

    public OpCode Op { get; }

    public string? Path { get; }

    public abstract void Complete(ref JuteReader body);

    public abstract void Fail(Exception error);

    /// <summary>Completes the request from an error code when its operation treats that code as an answer.</summary>
    public abstract bool TryCompleteError(ZooKeeperErrorCode code);
}

internal sealed class PendingRequest<T> : PendingRequest
{
    private readonly ReplyParser<T> _parse;
    private readonly ErrorParser<T>? _parseError;
    private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PendingRequest(OpCode op, string? path, ReplyParser<T> parse, ErrorParser<T>? parseError)
        : base(op, path)
    {
        _parse = parse;
        _parseError = parseError;
    }

    public Task<T> Task => _result.Task;

    public override void Complete(ref JuteReader body) => _result.TrySetResult(_parse(ref body));

    public override void Fail(Exception error) => _result.TrySetException(error);

    public override bool TryCompleteError(ZooKeeperErrorCode code)
    {
        if (_parseError is null || !_parseError(code, out var value)) return false;
        _result.TrySetResult(value);
        return true;
    }
}
