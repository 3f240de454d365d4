using Meshwork.Governance;

namespace Meshwork.Tars;

/// <summary>Wires TARS instances into Meshwork governance.</summary>
public static class TarsGovernance
{
    /// <summary>
    /// Routes instances with <c>protocol=tars</c> metadata through TARS channels
    /// (<see cref="GovernanceOptions.InstanceInvokers"/>["tars"] = a <see cref="TarsInstanceInvokerFactory"/>).
    /// </summary>
    /// <param name="options">The governance options to extend.</param>
    /// <param name="template">Settings of the TARS channels; null for the defaults.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static GovernanceOptions AddTarsInstances(this GovernanceOptions options, TarsClientOptions? template = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.InstanceInvokers[TarsInstances.ProtocolValue] = new TarsInstanceInvokerFactory(template);
        return options;
    }
}
