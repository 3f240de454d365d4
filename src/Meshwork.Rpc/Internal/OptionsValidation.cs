using System.ComponentModel.DataAnnotations;
using System.Diagnostics.CodeAnalysis;

namespace Meshwork.Rpc.Internal;

internal static class OptionsValidation
{
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Options types are public and referenced; their properties are kept.")]
    public static void Validate<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] T>(T options, string name) where T : notnull
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            var first = results[0];
            throw new InvalidOptionException(name, string.Join(",", first.MemberNames), first.ErrorMessage ?? "is not valid");
        }
    }

    /// <summary>The older form, <paramref name="name"/> being "Type.Property"; kept so callers written against it still compile.</summary>
    public static void Positive(TimeSpan value, string name)
    {
        int dot = name.IndexOf('.', StringComparison.Ordinal);
        Positive(value, dot < 0 ? "" : name[..dot], name[(dot + 1)..]);
    }

    public static void Positive(TimeSpan value, string optionsType, string optionPath)
    {
        if (value <= TimeSpan.Zero) throw new InvalidOptionException(optionsType, optionPath, $"must be positive (was {value})");
    }
}
