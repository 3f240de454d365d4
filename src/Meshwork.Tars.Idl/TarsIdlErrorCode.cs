namespace Meshwork.Tars.Idl;

/// <summary>The kinds of error the <c>.tars</c> compiler reports; the number is the diagnostic id's suffix (MWT0nn).</summary>
public enum TarsIdlErrorCode
{
    /// <summary>The text does not follow the grammar (an unexpected token, a missing <c>;</c>, <c>}</c> or name).</summary>
    Syntax = 1,

    /// <summary>A type name does not name a struct or enum visible from where it is used.</summary>
    UnknownType = 2,

    /// <summary>Two fields of one struct use the same tag.</summary>
    DuplicateTag = 3,

    /// <summary>A field tag is outside 0..255.</summary>
    TagOutOfRange = 4,

    /// <summary>A default or constant value does not fit the declared type.</summary>
    BadValue = 5,

    /// <summary>An <c>#include</c> names a file that cannot be found.</summary>
    IncludeNotFound = 6,

    /// <summary>A file includes itself, directly or through other files.</summary>
    IncludeCycle = 7,

    /// <summary>A name is declared twice in the same scope.</summary>
    DuplicateName = 8,

    /// <summary>A name is a keyword or uses the reserved <c>tars</c> prefix.</summary>
    InvalidName = 9,

    /// <summary>A literal or character cannot be read (bad number, unterminated string or comment, stray character).</summary>
    InvalidToken = 10,

    /// <summary>A <c>key[...]</c> names a struct or field that does not exist.</summary>
    InvalidKey = 11,

    /// <summary>A type is used where it is not allowed (a container as a map key, <c>void</c> as a parameter, <c>out routekey</c>).</summary>
    InvalidTypeUse = 12,

    /// <summary>A configured limit was exceeded (nesting depth, include depth, parameter count, file size).</summary>
    LimitExceeded = 13,

    /// <summary>Two IDL names would become the same C# name.</summary>
    NameCollision = 14,
}
