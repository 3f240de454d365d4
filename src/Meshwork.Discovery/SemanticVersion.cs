using System.Globalization;

namespace Meshwork.Discovery;

/// <summary>
/// A semantic version (<c>major.minor.patch[-prerelease]</c>; build metadata after <c>+</c> is accepted and ignored,
/// as SemVer 2.0 says it does not affect precedence). Missing minor or patch parts read as zero, so <c>1.2</c> is 1.2.0.
/// </summary>
public readonly record struct SemanticVersion : IComparable<SemanticVersion>
{
    /// <summary>Creates a version from its parts.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A part is negative.</exception>
    public SemanticVersion(int major, int minor, int patch, string? prerelease = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(major);
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        ArgumentOutOfRangeException.ThrowIfNegative(patch);
        Major = major;
        Minor = minor;
        Patch = patch;
        Prerelease = string.IsNullOrEmpty(prerelease) ? null : prerelease;
    }

    /// <summary>0.0.0, the version of instances that declare none.</summary>
    public static SemanticVersion Zero => default;

    /// <summary>Major version: incompatible changes.</summary>
    public int Major { get; }

    /// <summary>Minor version: compatible additions.</summary>
    public int Minor { get; }

    /// <summary>Patch version: compatible fixes.</summary>
    public int Patch { get; }

    /// <summary>Pre-release label (after <c>-</c>), or null for a release.</summary>
    public string? Prerelease { get; }

    /// <summary>Parses <c>1</c>, <c>1.2</c>, <c>1.2.3</c>, <c>v1.2.3-rc.1+build</c>.</summary>
    /// <exception cref="FormatException">The text is not a version; the message says which part is wrong.</exception>
    public static SemanticVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (TryParse(text, out var v, out var error)) return v;
        throw new FormatException($"'{text}' is not a semantic version: {error}");
    }

    /// <summary>Parses like <see cref="Parse"/> without throwing.</summary>
    public static bool TryParse(string? text, out SemanticVersion version) => TryParse(text, out version, out _);

    internal static bool TryParse(string? text, out SemanticVersion version, out string error)
    {
        version = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "it is empty";
            return false;
        }
        var s = text.AsSpan().Trim();
        if (s[0] is 'v' or 'V') s = s[1..];
        int plus = s.IndexOf('+');
        if (plus >= 0) s = s[..plus];
        string? pre = null;
        int dash = s.IndexOf('-');
        if (dash >= 0)
        {
            pre = s[(dash + 1)..].ToString();
            s = s[..dash];
            if (pre.Length == 0 || pre.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-')))
            {
                error = "the pre-release label must be letters, digits, dots and hyphens";
                return false;
            }
        }
        Span<int> parts = stackalloc int[3];
        int count = 0;
        foreach (var range in s.Split('.'))
        {
            var part = s[range];
            if (count == 3)
            {
                error = "it has more than three numeric parts";
                return false;
            }
            if (part.Length == 0 || !int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out parts[count]))
            {
                error = $"part {count + 1} ('{part}') is not a non-negative number";
                return false;
            }
            count++;
        }
        version = new SemanticVersion(parts[0], count > 1 ? parts[1] : 0, count > 2 ? parts[2] : 0, pre);
        error = "";
        return true;
    }

    /// <summary>SemVer precedence: numbers first, then a release sorts after its pre-releases; pre-release labels compare by dot-separated identifiers.</summary>
    public int CompareTo(SemanticVersion other)
    {
        int c = Major.CompareTo(other.Major);
        if (c == 0) c = Minor.CompareTo(other.Minor);
        if (c == 0) c = Patch.CompareTo(other.Patch);
        if (c != 0) return c;
        if (Prerelease is null) return other.Prerelease is null ? 0 : 1;
        if (other.Prerelease is null) return -1;
        return ComparePrerelease(Prerelease, other.Prerelease);
    }

    private static int ComparePrerelease(string a, string b)
    {
        var x = a.Split('.');
        var y = b.Split('.');
        for (int i = 0; i < Math.Min(x.Length, y.Length); i++)
        {
            bool xn = int.TryParse(x[i], NumberStyles.None, CultureInfo.InvariantCulture, out int xi);
            bool yn = int.TryParse(y[i], NumberStyles.None, CultureInfo.InvariantCulture, out int yi);
            int c = (xn, yn) switch
            {
                (true, true) => xi.CompareTo(yi),
                (true, false) => -1,
                (false, true) => 1,
                _ => string.CompareOrdinal(x[i], y[i]),
            };
            if (c != 0) return c;
        }
        return x.Length.CompareTo(y.Length);
    }

    /// <summary>Orders versions by precedence.</summary>
    public static bool operator <(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) < 0;

    /// <summary>Orders versions by precedence.</summary>
    public static bool operator >(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) > 0;

    /// <summary>Orders versions by precedence.</summary>
    public static bool operator <=(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) <= 0;

    /// <summary>Orders versions by precedence.</summary>
    public static bool operator >=(SemanticVersion a, SemanticVersion b) => a.CompareTo(b) >= 0;

    /// <summary><c>major.minor.patch[-prerelease]</c>.</summary>
    public override string ToString() =>
        Prerelease is null ? $"{Major}.{Minor}.{Patch}" : $"{Major}.{Minor}.{Patch}-{Prerelease}";
}
