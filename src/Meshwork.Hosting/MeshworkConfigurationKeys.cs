namespace Meshwork.Hosting;

/// <summary>Where Meshwork reads its settings in <c>IConfiguration</c>. See docs/configuration.md for every key.</summary>
public static class MeshworkConfigurationKeys
{
    /// <summary>Server options: <c>Meshwork:Server</c> (environment variables: <c>Meshwork__Server__MaxFrameSize</c>).</summary>
    public const string Server = "Meshwork:Server";

    /// <summary>Per-client options live under <c>Meshwork:Clients:{ServiceName}</c>.</summary>
    public const string Clients = "Meshwork:Clients";

    /// <summary>The section of one client, named by the contract's service name.</summary>
    public static string Client(string serviceName) => Clients + ":" + serviceName;
}
