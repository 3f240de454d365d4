namespace Meshwork.Samples.TarsUserService;

/// <summary>The business return codes of the user service (0 is success; TARS framework codes are negative).</summary>
public static class UserErrors
{
    /// <summary>A required field is missing or a value is out of range.</summary>
    public const int InvalidArgument = 1;

    /// <summary>No user has the given id.</summary>
    public const int NotFound = 2;
}
