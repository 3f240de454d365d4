using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Reflection;
using Meshwork.Rpc;

namespace Meshwork.Hosting.Internal;

/// <summary>
/// Validates an options object and names the configuration key of each bad value. Ranges and other validation
/// attributes are read from the properties while walking the object, so the key is known from the walk; the rules
/// that span several options come from the options' own <c>Validate()</c>, whose <see cref="InvalidOptionException"/>
/// names the property path, which is mapped to the key the same way.
/// </summary>
internal static class OptionsChecker
{
    /// <summary>Every failure of <paramref name="options"/> (a <paramref name="type"/>) bound from <paramref name="section"/>.</summary>
    /// <param name="type">The options class.</param>
    /// <param name="options">The options object, as configuration and code left it.</param>
    /// <param name="section">The configuration section the options are read from.</param>
    /// <param name="validate">The options' own cross-field rules, run once every attribute holds.</param>
    public static List<string> Check([DynamicallyAccessedMembers(OptionTypes.Members)] Type type, object options, string section, Action validate)
    {
        var errors = new List<string>();
        CheckAttributes(type, options, section, errors);
        if (errors.Count > 0) return errors;
        try
        {
            validate();
        }
        catch (InvalidOptionException ex)
        {
            errors.Add($"{KeyOf(type, ex.OptionPath, section)}: {ex.Problem}");
        }
        catch (ArgumentException ex)
        {
            errors.Add($"{section}: {ex.Message}");
        }
        return errors;
    }

    /// <summary>The configuration key of a property path: <c>Tls.Certificate</c> is <c>Meshwork:Server:Tls:CertificatePath</c>.</summary>
    public static string KeyOf([DynamicallyAccessedMembers(OptionTypes.Members)] Type type, string optionPath, string section)
    {
        string key = section;
        Type? current = type;
        foreach (string name in optionPath.Split('.'))
        {
            var property = current is null ? null : OptionTypes.Find(current, name);
            if (property is null)
            {
                key += ":" + name;
                current = null;
                continue;
            }
            key += ":" + BindingRules.KeyOf(current!, property.Name);
            current = OptionTypes.IsNested(property.PropertyType) ? OptionTypes.NestedType(property) : null;
        }
        return key;
    }

    private static void CheckAttributes([DynamicallyAccessedMembers(OptionTypes.Members)] Type type, object options, string path, List<string> errors)
    {
        foreach (var property in OptionTypes.Properties(type))
        {
            string key = path + ":" + BindingRules.KeyOf(type, property.Name);
            object? value = property.GetValue(options);
            foreach (var attribute in property.GetCustomAttributes<ValidationAttribute>(inherit: true))
            {
                if (!attribute.IsValid(value)) errors.Add(Describe(attribute, key, property.Name, value));
            }
            if (value is not null && OptionTypes.IsNested(property.PropertyType))
            {
                CheckAttributes(OptionTypes.NestedType(property), value, key, errors);
            }
        }
    }

    private static string Describe(ValidationAttribute attribute, string key, string name, object? value) => attribute switch
    {
        RangeAttribute range => $"{key}: must be between {Bound(range.Minimum)} and {Bound(range.Maximum)} (was {Text(value)})",
        _ => $"{key}: {attribute.FormatErrorMessage(name)} (was {Text(value)})",
    };

    // [Range(1, long.MaxValue)] stores its bounds as doubles; print them as the integers they stand for.
    private static string Bound(object bound) => bound switch
    {
        double d when d >= long.MaxValue => long.MaxValue.ToString(CultureInfo.InvariantCulture),
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => ((long)d).ToString(CultureInfo.InvariantCulture),
        _ => Convert.ToString(bound, CultureInfo.InvariantCulture) ?? "",
    };

    private static string Text(object? value) => value is null ? "nothing" : Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
}
