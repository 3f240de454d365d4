using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Meshwork.Discovery;

/// <summary>
/// Registry type <c>static</c>: the instances listed under <c>Registry:Services:&lt;name&gt;:&lt;n&gt;</c> (see
/// <see cref="StaticServiceRegistry.FromConfiguration"/>), plus whatever the process registers itself.
/// </summary>
public sealed class StaticServiceRegistryProvider : IServiceRegistryProvider
{
    /// <inheritdoc />
    public string Type => "static";

    /// <inheritdoc />
    public IServiceRegistry Create(IConfigurationSection section, ILoggerFactory? loggerFactory = null) => StaticServiceRegistry.FromConfiguration(section);
}
