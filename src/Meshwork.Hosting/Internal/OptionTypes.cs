using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Meshwork.Rpc.Compression;
using Meshwork.Rpc.Transport;

namespace Meshwork.Hosting.Internal;

/// <summary>
/// What the binder and the validator see of an options class: its public properties, and which of them hold nested
/// options objects (sections of their own, such as <c>Compression</c> or <c>Tls</c>).
/// </summary>
internal static class OptionTypes
{
    /// <summary>The members binding and validation use; kept by the trimmer for every options type.</summary>
    public const DynamicallyAccessedMemberTypes Members =
        DynamicallyAccessedMemberTypes.PublicProperties | DynamicallyAccessedMemberTypes.PublicParameterlessConstructor;

    /// <summary>The public instance properties that a configuration key can name: readable, not indexers.</summary>
    public static IEnumerable<PropertyInfo> Properties([DynamicallyAccessedMembers(Members)] Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetMethod is { IsPublic: true } && property.GetIndexParameters().Length == 0) yield return property;
        }
    }

    /// <summary>The property a configuration key names (keys are case-insensitive, as everywhere in IConfiguration).</summary>
    public static PropertyInfo? Find([DynamicallyAccessedMembers(Members)] Type type, string key)
    {
        foreach (var property in Properties(type))
        {
            if (string.Equals(property.Name, key, StringComparison.OrdinalIgnoreCase)) return property;
        }
        return null;
    }

    /// <summary>A nested options object: a Meshwork class named <c>*Options</c>, bound and validated key by key like its parent.</summary>
    public static bool IsNested(Type type) =>
        type.IsClass && type.Name.EndsWith("Options", StringComparison.Ordinal) &&
        type.Namespace is { } ns && ns.StartsWith("Meshwork.", StringComparison.Ordinal);

    /// <summary>The type of a property that holds a nested options object, annotated so binding can walk into it.</summary>
    /// <remarks>
    /// The trimmer cannot follow a property's type on its own. Every nested options type reachable from
    /// <c>RpcServerOptions</c> and <c>RpcClientOptions</c> is listed in a <see cref="DynamicDependencyAttribute"/> here,
    /// so its properties survive trimming; a test (OptionsReflectionTests) fails when a new nested type is not listed.
    /// </remarks>
    [UnconditionalSuppressMessage("Trimming", "IL2073", Justification = "Nested options types are kept by the DynamicDependency attributes below; a test checks the list is complete.")]
    [DynamicDependency(Members, typeof(CompressionOptions))]
    [DynamicDependency(Members, typeof(TlsServerOptions))]
    [DynamicDependency(Members, typeof(TlsClientOptions))]
    [return: DynamicallyAccessedMembers(Members)]
    public static Type NestedType(PropertyInfo property) => property.PropertyType;

    /// <summary>A new, default nested options object for a property that is null.</summary>
    public static object Create([DynamicallyAccessedMembers(Members)] Type type) =>
        Activator.CreateInstance(type) ?? throw new InvalidOperationException($"cannot create {type.Name}");
}
