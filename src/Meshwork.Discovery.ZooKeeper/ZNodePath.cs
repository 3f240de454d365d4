using System.Text;

namespace Meshwork.Discovery.ZooKeeper;

/// <summary>
/// Node paths of the registry. Service names and instance ids become single path segments: they are percent-encoded
/// (an id such as <c>orders@tcp://10.0.0.1:5000</c> contains slashes, which ZooKeeper reads as path separators), and
/// the segments <c>.</c> and <c>..</c>, which ZooKeeper refuses, are encoded too.
/// </summary>
internal static class ZNodePath
{
    public static string Segment(string name)
    {
        var escaped = Uri.EscapeDataString(name);
        return escaped switch
        {
            "." => "%2E",
            ".." => "%2E%2E",
            _ => escaped,
        };
    }

    public static string Join(string parent, string segment) => parent == "/" ? "/" + segment : parent + "/" + segment;

    /// <summary>The parent of an absolute path ("/" for top-level nodes).</summary>
    public static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    /// <summary>Why <paramref name="path"/> is not a valid absolute node path, or null when it is.</summary>
    public static string? Problem(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/') return "must start with '/'";
        if (path == "/") return "must name a node below '/', such as /meshwork/services";
        if (path.EndsWith('/')) return "must not end with '/'";
        foreach (var segment in path[1..].Split('/'))
        {
            if (segment.Length == 0) return "has an empty segment ('//')";
            if (segment is "." or "..") return "must not contain '.' or '..' segments";
            if (segment.Any(c => c < 0x20 || (c >= 0x7F && c <= 0x9F) || c >= 0xFFF0)) return "contains a control character";
        }
        return null;
    }

    /// <summary>UTF-8 size of a string, for the node-size check.</summary>
    public static int Utf8Length(string s) => Encoding.UTF8.GetByteCount(s);
}
