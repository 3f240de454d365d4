using Meshwork.Rpc.Client;
using Meshwork.Security.Client;

namespace Meshwork.Hosting.Governance;

/// <summary>
/// The <c>Security:Credentials</c> of the governed clients, replaceable while they run: every call signs with the
/// credentials in force when it starts. A reload that removes the credentials leaves calls unsigned.
/// </summary>
internal sealed class SwappableCallCredentials(CallCredentials initial) : CallCredentials
{
    private volatile CallCredentials? _current = initial;

    public CallCredentials? Current
    {
        get => _current;
        set => _current = value;
    }

    public override ValueTask ApplyAsync(ClientCallContext context) => _current is { } credentials ? credentials.ApplyAsync(context) : ValueTask.CompletedTask;
}
