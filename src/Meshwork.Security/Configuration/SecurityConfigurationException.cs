namespace Meshwork.Security.Configuration;

/// <summary>A value of the <c>Security</c> configuration section is invalid; <see cref="Key"/> names it. Secrets are never quoted.</summary>
public sealed class SecurityConfigurationException : FormatException
{
    /// <summary>The error for <paramref name="key"/> (the full configuration path), saying what is wrong.</summary>
    public SecurityConfigurationException(string key, string problem, Exception? inner = null)
        : base($"{key}: {problem}", inner)
    {
        Key = key;
        Problem = problem;
    }

    /// <summary>The full configuration path of the invalid value, such as <c>Security:Hmac:Keys:0:Secret</c>.</summary>
    public string Key { get; }

    /// <summary>What is wrong with it.</summary>
    public string Problem { get; }
}
