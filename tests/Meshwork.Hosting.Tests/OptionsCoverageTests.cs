using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Meshwork.Hosting.Client;
using Meshwork.Hosting.Internal;
using Meshwork.Hosting.Server;
using Meshwork.Rpc.Client;
using Meshwork.Rpc.Server;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Meshwork.Hosting.Tests;

/// <summary>
/// Keeps the one-place promise: every option of the Meshwork options classes is read from configuration without
/// code of its own, is documented in docs/configuration.md, and survives trimming. A property added to
/// RpcServerOptions or RpcClientOptions is checked here without changing these tests.
/// </summary>
public class OptionsCoverageTests
{
    private const DynamicallyAccessedMemberTypes Members = OptionTypes.Members;

    /// <summary>Plain options (a value or a list, not a file-backed or named one), with their property paths.</summary>
    private static IEnumerable<(string Path, PropertyInfo Property)> PlainOptions([DynamicallyAccessedMembers(Members)] Type type, string prefix = "")
    {
        foreach (var property in OptionTypes.Properties(type))
        {
            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (BindingRules.CustomBinder(type, property.Name) is not null) continue;
            if (ConfigValues.IsScalar(valueType) || OptionsBinder.IsStringList(valueType))
            {
                yield return (prefix + property.Name, property);
            }
            else if (OptionTypes.IsNested(valueType))
            {
                foreach (var nested in PlainOptions(OptionTypes.NestedType(property), prefix + property.Name + ":")) yield return nested;
            }
        }
    }

    /// <summary>A configuration text for a value that differs from <paramref name="current"/>, and the value it binds to.</summary>
    private static (string Text, object Expected) Different(Type type, object? current)
    {
        var valueType = Nullable.GetUnderlyingType(type) ?? type;
        if (valueType == typeof(bool)) return current is true ? ("false", false) : ("true", true);
        if (valueType == typeof(TimeSpan))
        {
            var span = (current is TimeSpan t ? t : TimeSpan.Zero) + TimeSpan.FromMilliseconds(1234);
            return (span.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms", span);
        }
        if (valueType == typeof(string))
        {
            string text = "value-" + Guid.NewGuid().ToString("N");
            return (text, text);
        }
        if (OptionsBinder.IsStringList(valueType)) return ("127.0.0.1:4321", new[] { "127.0.0.1:4321" });
        if (valueType.IsEnum)
        {
            string name = Enum.GetNames(valueType).First(n => !Equals(Enum.Parse(valueType, n), current));
            return (name, Enum.Parse(valueType, name));
        }
        decimal number = Convert.ToDecimal(current ?? 0, CultureInfo.InvariantCulture);
        number = number >= 100 ? number - 1 : number + 1;
        return (number.ToString(CultureInfo.InvariantCulture), Convert.ChangeType(number, valueType, CultureInfo.InvariantCulture));
    }

    private static object? Read(object root, string path)
    {
        object? value = root;
        foreach (string name in path.Split(':')) value = value!.GetType().GetProperty(name)!.GetValue(value);
        return value;
    }

    private static void AssertEveryOptionBinds<[DynamicallyAccessedMembers(Members)] TOptions>(TOptions defaults, string section, Func<IConfiguration, TOptions> bind)
        where TOptions : notnull
    {
        var options = PlainOptions(typeof(TOptions)).ToList();
        Assert.NotEmpty(options);
        var values = new Dictionary<string, string?>();
        var expected = new Dictionary<string, object>();
        foreach (var (path, property) in options)
        {
            var (text, value) = Different(property.PropertyType, Read(defaults, path));
            values[section + ":" + path] = text;
            expected[path] = value;
        }

        var bound = bind(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

        foreach (var (path, value) in expected)
        {
            object? actual = Read(bound, path);
            if (value is string[] list) Assert.Equal(list, Assert.IsAssignableFrom<IEnumerable<string>>(actual));
            else Assert.True(Equals(value, actual), $"{section}:{path} = '{values[section + ":" + path]}' bound to '{actual}', expected '{value}'");
        }
    }

    [Fact]
    public void Every_server_option_binds_from_configuration_without_code_of_its_own()
    {
        AssertEveryOptionBinds(new RpcServerOptions(), MeshworkConfigurationKeys.Server, configuration =>
        {
            var options = new RpcServerOptions();
            new ServerConfigurationBinder(new ServiceCollection().AddSingleton(configuration).BuildServiceProvider()).Configure(options);
            return options;
        });
    }

    [Fact]
    public void Every_client_option_binds_from_configuration_without_code_of_its_own()
    {
        AssertEveryOptionBinds(new RpcClientOptions(), MeshworkConfigurationKeys.Client("Any"), configuration =>
        {
            var options = new MeshworkClientOptions();
            new ClientConfigurationBinder(new ServiceCollection().AddSingleton(configuration).BuildServiceProvider()).Configure("Any", options);
            return options.Rpc;
        });
    }

    /// <summary>Every key configuration accepts for an options class: plain options, nested sections, file-backed keys.</summary>
    private static SortedSet<string> AcceptedKeys([DynamicallyAccessedMembers(Members)] Type type, string prefix = "")
    {
        var keys = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var property in OptionTypes.Properties(type))
        {
            var valueType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            string key = BindingRules.KeyOf(type, property.Name);
            if (OptionTypes.IsNested(valueType))
            {
                keys.UnionWith(AcceptedKeys(OptionTypes.NestedType(property), prefix + key + ":"));
                if (valueType == typeof(Meshwork.Rpc.Transport.TlsServerOptions)) keys.UnionWith(ServerTlsBinding.FileKeys.Select(k => prefix + key + ":" + k));
                if (valueType == typeof(Meshwork.Rpc.Transport.TlsClientOptions)) keys.UnionWith(ClientTlsBinding.FileKeys.Select(k => prefix + key + ":" + k));
            }
            else if (ConfigValues.IsScalar(valueType) || OptionsBinder.IsStringList(valueType) || key != property.Name ||
                BindingRules.CustomBinder(type, property.Name) is not null)
            {
                keys.Add(prefix + key);
            }
        }
        return keys;
    }

    /// <summary>The keys in the first column of the table under <paramref name="heading"/>.</summary>
    private static SortedSet<string> DocumentedKeys(string heading)
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "configuration.md"));
        int start = docs.IndexOf(heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/configuration.md has no heading '{heading}'");
        int end = docs.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        string section = docs[start..(end < 0 ? docs.Length : end)];
        return new SortedSet<string>(Regex.Matches(section, @"^\| `([^`]+)` \|", RegexOptions.Multiline).Select(m => m.Groups[1].Value), StringComparer.Ordinal);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "docs", "configuration.md"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("docs/configuration.md not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void Docs_list_exactly_the_server_keys()
    {
        Assert.Equal(AcceptedKeys(typeof(RpcServerOptions)), DocumentedKeys("## Server: `Meshwork:Server`"));
    }

    [Fact]
    public void Docs_list_exactly_the_client_keys()
    {
        var keys = AcceptedKeys(typeof(RpcClientOptions));
        keys.Add(nameof(MeshworkClientOptions.Address));
        Assert.Equal(keys, DocumentedKeys("## Clients: `Meshwork:Clients:{ServiceName}`"));
    }

    /// <summary>The Default column of each row under <paramref name="heading"/>, by key.</summary>
    private static Dictionary<string, string> DocumentedDefaults(string heading)
    {
        string docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "configuration.md"));
        int start = docs.IndexOf(heading, StringComparison.Ordinal);
        int end = docs.IndexOf("\n## ", start + heading.Length, StringComparison.Ordinal);
        return Regex.Matches(docs[start..(end < 0 ? docs.Length : end)], @"^\| `([^`]+)` \| ([^|]+) \|", RegexOptions.Multiline)
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
    }

    /// <summary>A default as the docs write it: <c>10s</c>, <c>4194304</c>, <c>false</c>.</summary>
    private static string DocumentedForm(object value) => value switch
    {
        bool flag => flag ? "true" : "false",
        TimeSpan span when span.TotalMilliseconds % 86_400_000 == 0 && span > TimeSpan.Zero => $"{span.TotalDays}d",
        TimeSpan span when span.TotalMilliseconds % 3_600_000 == 0 && span > TimeSpan.Zero => $"{span.TotalHours}h",
        TimeSpan span when span.TotalMilliseconds % 60_000 == 0 && span > TimeSpan.Zero => $"{span.TotalMinutes}m",
        TimeSpan span when span.TotalMilliseconds % 1_000 == 0 => $"{span.TotalSeconds}s",
        TimeSpan span => $"{span.TotalMilliseconds}ms",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };

    private static void AssertDocumentedDefaults<[DynamicallyAccessedMembers(Members)] TOptions>(TOptions defaults, string heading) where TOptions : notnull
    {
        var documented = DocumentedDefaults(heading);
        foreach (var (path, property) in PlainOptions(typeof(TOptions)))
        {
            if (OptionsBinder.IsStringList(property.PropertyType)) continue;
            object? value = Read(defaults, path);
            string expected = value is null ? "*(none" : $"`{DocumentedForm(value)}`";
            Assert.True(documented[path].StartsWith(expected, StringComparison.Ordinal),
                $"docs/configuration.md gives {path} the default {documented[path]}; the options class says {expected}");
        }
    }

    [Fact]
    public void Docs_give_the_real_server_defaults() => AssertDocumentedDefaults(new RpcServerOptions(), "## Server: `Meshwork:Server`");

    [Fact]
    public void Docs_give_the_real_client_defaults() => AssertDocumentedDefaults(new RpcClientOptions(), "## Clients: `Meshwork:Clients:{ServiceName}`");

    [Fact]
    public void Every_nested_options_type_is_kept_for_trimming()
    {
        var listed = typeof(OptionTypes).GetMethod(nameof(OptionTypes.NestedType))!
            .GetCustomAttributes<DynamicDependencyAttribute>().Select(a => a.Type).ToHashSet();
        var reachable = new HashSet<Type>();
        void Walk([DynamicallyAccessedMembers(Members)] Type type)
        {
            foreach (var property in OptionTypes.Properties(type))
            {
                if (OptionTypes.IsNested(property.PropertyType) && reachable.Add(property.PropertyType)) Walk(OptionTypes.NestedType(property));
            }
        }
        Walk(typeof(RpcServerOptions));
        Walk(typeof(RpcClientOptions));

        Assert.NotEmpty(reachable);
        Assert.Empty(reachable.Where(t => !listed.Contains(t)).Select(t => t.FullName)); // add a [DynamicDependency] to OptionTypes.NestedType
    }

    [Fact]
    public void A_failing_option_is_reported_with_its_key_by_the_validator()
    {
        // The structural path: the validator walks the options and names the key, no message is rewritten.
        var options = new RpcServerOptions { Endpoints = { "127.0.0.1:0" }, StreamWindow = 0 };
        var result = new ServerOptionsValidator().Validate(Options.DefaultName, options);
        Assert.True(result.Failed);
        Assert.Equal(["Meshwork:Server:StreamWindow: must be between 1 and 1000000 (was 0)"], result.Failures);
    }
}
