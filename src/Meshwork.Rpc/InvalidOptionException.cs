namespace Meshwork.Rpc;

/// <summary>
/// An option that fails validation. Thrown by <c>RpcServerOptions.Validate</c> and <c>RpcClientOptions.Validate</c>.
/// It names the option by its property path (<see cref="OptionPath"/>, such as <c>Tls.Certificate</c>), separately from
/// the problem, so that a host that read the option from a file can name its own key (<c>Meshwork:Server:Tls:...</c>)
/// instead of the property.
/// </summary>
public sealed class InvalidOptionException : ArgumentException
{
    /// <summary>Creates the exception for one option.</summary>
    /// <param name="optionsType">Name of the options class, for example <c>RpcServerOptions</c>.</param>
    /// <param name="optionPath">Property path from the options object, nested properties joined with '.'.</param>
    /// <param name="problem">What is wrong, phrased to follow the option's name: "must be positive (was 00:00:00)".</param>
    /// <param name="innerException">The failure that revealed the problem, if any.</param>
    public InvalidOptionException(string optionsType, string optionPath, string problem, Exception? innerException = null)
        : base($"{optionsType}.{optionPath}: {problem}", innerException)
    {
        OptionsType = optionsType;
        OptionPath = optionPath;
        Problem = problem;
    }

    /// <summary>Name of the options class that holds the option.</summary>
    public string OptionsType { get; }

    /// <summary>Property path of the option from the options object, nested properties joined with '.'.</summary>
    public string OptionPath { get; }

    /// <summary>What is wrong with the value, without the option's name.</summary>
    public string Problem { get; }

    /// <inheritdoc/>
    public override string? ParamName => OptionPath;
}
