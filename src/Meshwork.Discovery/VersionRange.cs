using System.Globalization;

namespace Meshwork.Discovery;

/// <summary>The text of a version range could not be parsed; the message names the position and what was expected.</summary>
public sealed class VersionRangeFormatException : FormatException
{
    /// <summary>Creates the error for <paramref name="range"/> at character <paramref name="position"/> (0-based).</summary>
    public VersionRangeFormatException(string range, int position, string problem)
        : base($"invalid version range '{range}' at position {position}: {problem}")
    {
        Range = range;
        Position = position;
    }

    /// <summary>The range text that failed.</summary>
    public string Range { get; }

    /// <summary>0-based index of the offending character.</summary>
    public int Position { get; }
}

/// <summary>
/// A semantic version range in the npm/Cargo style most people know: comparators separated by spaces must all
/// hold (<c>&gt;=1.2 &lt;2</c>), alternatives are separated by <c>||</c>. Supported comparators: <c>&gt;= &gt; &lt;= &lt; =</c>,
/// a bare version or wildcard (<c>1.2</c>, <c>1.2.x</c>, <c>1.*</c> mean "that prefix"), tilde (<c>~1.2.3</c>: same
/// minor) and caret (<c>^1.2.3</c>: same major, or same minor below 1.0), and <c>*</c> for any version.
/// Pre-release versions match only comparators that name a pre-release of the same major.minor.patch, as in npm,
/// so a range never routes to a release candidate by accident.
/// </summary>
public sealed class VersionRange
{
    private readonly Comparator[][] _alternatives;

    private VersionRange(string text, Comparator[][] alternatives)
    {
        Text = text;
        _alternatives = alternatives;
    }

    /// <summary>Any version at all (<c>*</c>).</summary>
    public static VersionRange Any { get; } = Parse("*");

    /// <summary>The range as written.</summary>
    public string Text { get; }

    /// <summary>True when <paramref name="version"/> satisfies the range.</summary>
    public bool Contains(SemanticVersion version)
    {
        foreach (var set in _alternatives)
        {
            if (Satisfies(set, version)) return true;
        }
        return false;
    }

    private static bool Satisfies(Comparator[] set, SemanticVersion version)
    {
        foreach (var c in set)
        {
            if (!c.Test(version)) return false;
        }
        if (version.Prerelease is null) return true;
        // npm rule: a pre-release only matches when some comparator names a pre-release of the same triple.
        foreach (var c in set)
        {
            if (c.Version.Prerelease is not null && c.Version.Major == version.Major && c.Version.Minor == version.Minor && c.Version.Patch == version.Patch)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Parses a range.</summary>
    /// <exception cref="VersionRangeFormatException">The text is not a range; the message gives the position and the problem.</exception>
    public static VersionRange Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrWhiteSpace(text)) throw new VersionRangeFormatException(text, 0, "the range is empty (use * for any version)");
        var alternatives = new List<Comparator[]>();
        int pos = 0;
        while (true)
        {
            var set = new List<Comparator>();
            while (true)
            {
                SkipSpaces(text, ref pos);
                if (pos >= text.Length || text.AsSpan(pos).StartsWith("||")) break;
                ParseComparator(text, ref pos, set);
            }
            if (set.Count == 0) throw new VersionRangeFormatException(text, pos, "expected a comparator such as >=1.2 (an empty alternative around ||)");
            alternatives.Add(set.ToArray());
            if (pos >= text.Length) break;
            pos += 2; // "||"
        }
        return new VersionRange(text, alternatives.ToArray());
    }

    /// <summary>Parses without throwing; <paramref name="error"/> holds the message on failure.</summary>
    public static bool TryParse(string? text, out VersionRange? range, out string? error)
    {
        try
        {
            range = Parse(text ?? "");
            error = null;
            return true;
        }
        catch (VersionRangeFormatException e)
        {
            range = null;
            error = e.Message;
            return false;
        }
    }

    private static void SkipSpaces(string s, ref int pos)
    {
        while (pos < s.Length && s[pos] == ' ') pos++;
    }

    private static void ParseComparator(string text, ref int pos, List<Comparator> set)
    {
        int start = pos;
        string op = "";
        foreach (var candidate in (ReadOnlySpan<string>)[">=", "<=", ">", "<", "=", "~", "^"])
        {
            if (text.AsSpan(pos).StartsWith(candidate))
            {
                op = candidate;
                pos += candidate.Length;
                break;
            }
        }
        SkipSpaces(text, ref pos);
        int versionStart = pos;
        while (pos < text.Length && text[pos] != ' ' && !text.AsSpan(pos).StartsWith("||")) pos++;
        if (versionStart == pos)
        {
            throw new VersionRangeFormatException(text, versionStart, op.Length == 0 ? "expected a comparator" : $"expected a version after '{op}'");
        }
        var partial = ParsePartial(text, versionStart, text[versionStart..pos]);
        var lower = partial.Lower;
        switch (op)
        {
            case "":
            case "=":
                if (partial.Wildcards == 0)
                {
                    set.Add(new Comparator(Op.Eq, lower));
                }
                else if (partial.Wildcards < 3)
                {
                    set.Add(new Comparator(Op.Ge, lower));
                    set.Add(new Comparator(Op.Lt, partial.NextAtWildcard()));
                }
                else
                {
                    set.Add(new Comparator(Op.Ge, SemanticVersion.Zero));
                }
                break;
            case ">=":
                set.Add(new Comparator(Op.Ge, lower));
                break;
            case ">":
                if (partial.Wildcards == 3) throw new VersionRangeFormatException(text, start, "'>*' matches nothing");
                set.Add(partial.Wildcards == 0 ? new Comparator(Op.Gt, lower) : new Comparator(Op.Ge, partial.NextAtWildcard()));
                break;
            case "<":
                if (partial.Wildcards == 3) throw new VersionRangeFormatException(text, start, "'<*' matches nothing");
                set.Add(new Comparator(Op.Lt, lower));
                break;
            case "<=":
                set.Add(partial.Wildcards == 0 ? new Comparator(Op.Le, lower) : new Comparator(Op.Lt, partial.NextAtWildcard()));
                break;
            case "~":
                set.Add(new Comparator(Op.Ge, lower));
                set.Add(new Comparator(Op.Lt, partial.Wildcards >= 2 || partial.Given == 1
                    ? new SemanticVersion(lower.Major + 1, 0, 0)
                    : new SemanticVersion(lower.Major, lower.Minor + 1, 0)));
                break;
            case "^":
                set.Add(new Comparator(Op.Ge, lower));
                set.Add(new Comparator(Op.Lt, lower.Major > 0 || partial.Given == 1 ? new SemanticVersion(lower.Major + 1, 0, 0)
                    : lower.Minor > 0 || partial.Given == 2 ? new SemanticVersion(0, lower.Minor + 1, 0)
                    : new SemanticVersion(0, 0, lower.Patch + 1)));
                break;
        }
    }

    private readonly record struct Partial(SemanticVersion Lower, int Given, int Wildcards)
    {
        /// <summary>The first version past the wildcard prefix: 1.2.x → 1.3.0, 1.x → 2.0.0.</summary>
        public SemanticVersion NextAtWildcard() => Given switch
        {
            1 => new SemanticVersion(Lower.Major + 1, 0, 0),
            _ => new SemanticVersion(Lower.Major, Lower.Minor + 1, 0),
        };
    }

    private static Partial ParsePartial(string text, int offset, string token)
    {
        var body = token;
        if (body.StartsWith('v') || body.StartsWith('V')) body = body[1..];
        string? pre = null;
        int plus = body.IndexOf('+');
        if (plus >= 0) body = body[..plus];
        int dash = body.IndexOf('-');
        if (dash >= 0)
        {
            pre = body[(dash + 1)..];
            body = body[..dash];
            if (pre.Length == 0) throw new VersionRangeFormatException(text, offset + token.Length, "empty pre-release label after '-'");
        }
        var parts = body.Split('.');
        if (parts.Length > 3) throw new VersionRangeFormatException(text, offset, $"'{token}' has more than three parts");
        Span<int> numbers = stackalloc int[3];
        int given = 0;
        bool wildcardSeen = false;
        int partOffset = offset + (token.Length - token.TrimStart('v', 'V').Length);
        for (int i = 0; i < parts.Length; i++)
        {
            var p = parts[i];
            if (p is "x" or "X" or "*")
            {
                wildcardSeen = true;
            }
            else if (wildcardSeen)
            {
                throw new VersionRangeFormatException(text, partOffset, $"'{p}' follows a wildcard; write wildcards only at the end (1.x, not x.1)");
            }
            else if (p.Length == 0 || !int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out numbers[i]))
            {
                throw new VersionRangeFormatException(text, partOffset, $"'{p}' is not a number, x or *");
            }
            else
            {
                given++;
            }
            partOffset += p.Length + 1;
        }
        if (pre is not null && given < 3) throw new VersionRangeFormatException(text, offset, "a pre-release label needs a full major.minor.patch version");
        var lower = new SemanticVersion(numbers[0], given > 1 ? numbers[1] : 0, given > 2 ? numbers[2] : 0, pre);
        return new Partial(lower, given, 3 - given);
    }

    private enum Op { Eq, Gt, Ge, Lt, Le }

    private readonly record struct Comparator(Op Op, SemanticVersion Version)
    {
        public bool Test(SemanticVersion v)
        {
            int c = v.CompareTo(Version);
            return Op switch
            {
                Op.Eq => c == 0,
                Op.Gt => c > 0,
                Op.Ge => c >= 0,
                Op.Lt => c < 0,
                _ => c <= 0,
            };
        }
    }

    /// <summary>The range as written.</summary>
    public override string ToString() => Text;
}
