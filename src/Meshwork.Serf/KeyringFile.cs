using System.Text.Json;
using Meshwork.Gossip.Security;

namespace Meshwork.Serf;

/// <summary>serf's keyring file: a JSON array of base64 keys, primary first.</summary>
public static class KeyringFile
{
    /// <summary>Reads a keyring file.</summary>
    public static Keyring Load(string path)
    {
        var keys = JsonSerializer.Deserialize(File.ReadAllText(path), KeyringJsonContext.Default.StringArray)
            ?? throw new InvalidDataException($"{path} is not a JSON array of keys");
        return Keyring.FromBase64(keys);
    }

    /// <summary>Writes the keyring (atomically via a temporary file).</summary>
    public static void Save(string path, Keyring keyring)
    {
        var keys = keyring.Keys.Select(Convert.ToBase64String).ToArray();
        var tmp = path + ".tmp";
        // Base64 needs no JSON escaping; writing it directly keeps '+' and '/' readable like serf's file.
        File.WriteAllText(tmp, "[" + string.Join(",", keys.Select(k => $"\"{k}\"")) + "]");
        File.Move(tmp, path, overwrite: true);
    }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(string[]))]
internal sealed partial class KeyringJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
