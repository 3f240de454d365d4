using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Meshwork.Cli.Registry;
using Meshwork.Discovery;

namespace Meshwork.Cli.Services;

/// <summary><c>meshwork services [service...]</c>: the services of a registry and their instances, as a table or JSON.</summary>
internal static class ServicesCommand
{
    public static Command Create()
    {
        var names = new Argument<string[]>("service") { Description = "Services to show (default: every service the registry holds; static, gossip, etcd and zookeeper can list them, dns needs names)", Arity = ArgumentArity.ZeroOrMore };
        var json = new Option<bool>("--json") { Description = "JSON output: {\"services\": [{\"name\", \"instances\": [...]}]}" };
        var registry = new RegistryOptions();
        var command = new Command("services", "List services and their instances from a registry") { names, json };
        foreach (var option in registry.All) command.Options.Add(option);
        command.SetAction(async (result, ct) =>
        {
            try
            {
                await using var client = await RegistryClient.ConnectAsync(registry.Build(result), ct);
                var wanted = result.GetValue(names) is { Length: > 0 } given ? given : await ServiceCatalog.NamesAsync(client, ct);
                var services = new List<(string Name, IReadOnlyList<ServiceInstance> Instances)>();
                foreach (var name in wanted)
                {
                    var instances = await client.Registry.ResolveAsync(name, ct);
                    services.Add((name, instances.OrderBy(i => i.Address, StringComparer.Ordinal).ToList()));
                }
                Console.Write(result.GetValue(json) ? Json(services) : Table(services));
                return 0;
            }
            catch (UsageException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
            catch (Exception e) when (e is DiscoveryConfigurationException or RegistryUnavailableException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static string Table(List<(string Name, IReadOnlyList<ServiceInstance> Instances)> services)
    {
        if (services.Count == 0) return "no services\n";
        var table = new TextTable("SERVICE", "ADDRESS", "NODE", "VERSION", "ZONE", "WEIGHT", "HEALTH", "TAGS");
        foreach (var (name, instances) in services)
        {
            if (instances.Count == 0) table.Add(name, "(no instances)", "", "", "", "", "", "");
            foreach (var i in instances)
            {
                table.Add(name, i.Address, i.Node ?? "-", i.Version.ToString(), i.Zone ?? "-", i.Weight.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    HealthName(i.Health), string.Join(",", i.Tags.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => $"{t.Key}={t.Value}")));
            }
        }
        return table.ToString();
    }

    private static string HealthName(InstanceHealth health) => health switch
    {
        InstanceHealth.Healthy => "healthy",
        InstanceHealth.Draining => "draining",
        _ => "unhealthy",
    };

    private static string Json(List<(string Name, IReadOnlyList<ServiceInstance> Instances)> services)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("services");
            foreach (var (name, instances) in services)
            {
                w.WriteStartObject();
                w.WriteString("name", name);
                w.WriteStartArray("instances");
                foreach (var i in instances)
                {
                    w.WriteStartObject();
                    w.WriteString("id", i.Id);
                    w.WriteString("address", i.Address);
                    if (i.Node is null) w.WriteNull("node"); else w.WriteString("node", i.Node);
                    w.WriteString("version", i.Version.ToString());
                    if (i.Zone is null) w.WriteNull("zone"); else w.WriteString("zone", i.Zone);
                    w.WriteNumber("weight", i.Weight);
                    w.WriteString("health", HealthName(i.Health));
                    WriteMap(w, "tags", i.Tags);
                    WriteMap(w, "metadata", i.Metadata);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }

    private static void WriteMap(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string> map)
    {
        w.WriteStartObject(name);
        foreach (var (k, v) in map.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
        w.WriteEndObject();
    }
}
