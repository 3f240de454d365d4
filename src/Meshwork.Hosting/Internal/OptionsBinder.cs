using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace Meshwork.Hosting.Internal;

/// <summary>
/// Binds a configuration section onto an options object, key by key: a key names a public property of the same name
/// (case-insensitive). There is no settings class in between, so a property added to an options class is read from
/// configuration without any code here. Values are parsed by <see cref="ConfigValues"/> (durations as <c>10s</c>);
/// nested options objects (<c>Compression</c>) are bound as subsections; a few properties whose file form differs
/// from the property (certificate files, algorithm names) go through <see cref="BindingRules"/>.
/// </summary>
/// <remarks>
/// Blank values count as absent and keep the current value. Errors are collected, not thrown, so one start reports
/// every bad key; each message starts with the full configuration key. A key that names no property is an error, so
/// a misspelt key is not silently ignored.
/// </remarks>
internal static class OptionsBinder
{
    /// <summary>Binds <paramref name="section"/> onto <paramref name="target"/>, an instance of <paramref name="type"/>.</summary>
    /// <param name="type">The options class; its public properties are the keys.</param>
    /// <param name="target">The options object, changed in place.</param>
    /// <param name="section">The configuration section of <paramref name="target"/>.</param>
    /// <param name="errors">Receives one message per bad key, each starting with the key.</param>
    /// <param name="handledKeys">Keys of this section that the caller reads itself; skipped here.</param>
    public static void Bind([DynamicallyAccessedMembers(OptionTypes.Members)] Type type, object target, IConfigurationSection section,
        List<string> errors, IReadOnlyCollection<string>? handledKeys = null)
    {
        foreach (var child in section.GetChildren())
        {
            if (handledKeys is not null && handledKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase)) continue;
            var property = OptionTypes.Find(type, child.Key);
            if (property is null)
            {
                if (HasValue(child)) errors.Add($"{child.Path}: unknown key; the keys here are {string.Join(", ", KnownKeys(type, handledKeys))}");
                continue;
            }
            try
            {
                if (BindingRules.CustomBinder(type, property.Name) is { } custom) custom(target, child, errors);
                else BindProperty(target, property, child, errors);
            }
            catch (FormatException ex)
            {
                errors.Add(ex.Message);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is ArgumentException refused)
            {
                // A setter that checks its value itself: report its reason under the key.
                errors.Add($"{child.Path}: {refused.Message}");
            }
        }
    }

    /// <summary>Whether a section sets anything: a non-blank value, here or below.</summary>
    public static bool HasValue(IConfigurationSection section) =>
        !string.IsNullOrWhiteSpace(section.Value) || section.GetChildren().Any(HasValue);

    private static void BindProperty(object target, PropertyInfo property, IConfigurationSection section, List<string> errors)
    {
        var type = property.PropertyType;
        var scalar = Nullable.GetUnderlyingType(type) ?? type;
        if (ConfigValues.IsScalar(scalar))
        {
            if (section.GetChildren().Any(HasValue)) throw new FormatException($"{section.Path}: expected one value, found a section");
            if (string.IsNullOrWhiteSpace(section.Value)) return;
            Set(target, property, ConfigValues.Parse(scalar, section.Value, section.Path), section.Path);
        }
        else if (IsStringList(type))
        {
            BindList(target, property, section);
        }
        else if (OptionTypes.IsNested(type))
        {
            if (!HasValue(section)) return;
            var nestedType = OptionTypes.NestedType(property);
            object? nested = property.GetValue(target);
            if (nested is null)
            {
                nested = OptionTypes.Create(nestedType);
                Set(target, property, nested, section.Path);
            }
            Bind(nestedType, nested, section, errors);
        }
        else if (HasValue(section))
        {
            string fileKey = BindingRules.KeyOf(property.DeclaringType!, property.Name);
            throw new FormatException(fileKey != property.Name
                ? $"{section.Path}: a {type.Name} cannot be read from configuration; name its file with {fileKey}"
                : $"{section.Path}: a {type.Name} cannot be read from configuration; set {property.Name} in code (the configure callback)");
        }
    }

    private static void BindList(object target, PropertyInfo property, IConfigurationSection section)
    {
        var items = new List<string>();
        if (!string.IsNullOrWhiteSpace(section.Value)) items.Add(section.Value.Trim()); // "Endpoints: 127.0.0.1:7000", one item
        foreach (var item in section.GetChildren())
        {
            if (item.GetChildren().Any(HasValue)) throw new FormatException($"{item.Path}: expected one value, found a section");
            if (!string.IsNullOrWhiteSpace(item.Value)) items.Add(item.Value.Trim());
        }
        if (items.Count == 0) return; // an empty list counts as absent, like an empty value
        if (property.SetMethod is { IsPublic: true })
        {
            property.SetValue(target, property.PropertyType == typeof(string[]) ? items.ToArray() : items);
        }
        else if (property.GetValue(target) is ICollection<string> { IsReadOnly: false } existing)
        {
            existing.Clear();
            foreach (string item in items) existing.Add(item);
        }
        else
        {
            throw new FormatException($"{section.Path}: is read-only");
        }
    }

    /// <summary>Whether a property holds a list of strings, written as an array or as indexed keys.</summary>
    public static bool IsStringList(Type type) =>
        type == typeof(string[]) || type == typeof(List<string>) || type == typeof(IList<string>) || type == typeof(ICollection<string>) ||
        type == typeof(IEnumerable<string>) || type == typeof(IReadOnlyList<string>) || type == typeof(IReadOnlyCollection<string>);

    private static void Set(object target, PropertyInfo property, object value, string key)
    {
        if (property.SetMethod is not { IsPublic: true }) throw new FormatException($"{key}: is read-only");
        property.SetValue(target, value);
    }

    private static IEnumerable<string> KnownKeys([DynamicallyAccessedMembers(OptionTypes.Members)] Type type, IReadOnlyCollection<string>? handledKeys)
    {
        var keys = new List<string>();
        foreach (var property in OptionTypes.Properties(type))
        {
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (BindingRules.CustomBinder(type, property.Name) is not null || ConfigValues.IsScalar(propertyType) ||
                IsStringList(propertyType) || OptionTypes.IsNested(propertyType))
            {
                keys.Add(property.Name);
            }
        }
        if (handledKeys is not null) keys.AddRange(handledKeys);
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }
}
