namespace Meshwork.Tars;

/// <summary>
/// Reads the parameters of a call (server: the arguments; client: return value and out-parameters) from an
/// <c>sBuffer</c>, whatever its wire version: TARS v1 by tag, TUP v3 by name, TUP v2 by name (the type-name level is
/// accepted whatever it says, as Java does, because Node and Java disagree on it), TARS JSON (v5) by name (each JSON
/// member converted to the Tars encoding its reader accepts; see <see cref="TarsVersion.Json"/>). The TUP map or JSON
/// object is parsed once, when the object is created; each value is decoded on demand.
/// </summary>
public sealed class TarsParameters
{
    private readonly ReadOnlyMemory<byte> _buffer;
    private readonly int _maxDepth;
    private readonly Dictionary<string, ReadOnlyMemory<byte>>? _named;
    private readonly Dictionary<string, System.Text.Json.JsonElement>? _json;
    private int _lastTag = -1;
    private int _lastEnd;

    /// <summary>Wraps <paramref name="buffer"/> (not copied: it must stay unchanged while this object is used).</summary>
    /// <param name="version">The packet's <c>iVersion</c> (1, 2, 3 or 5).</param>
    /// <param name="buffer">The <c>sBuffer</c> bytes.</param>
    /// <param name="maxDepth">Nesting limit for the readers.</param>
    /// <exception cref="TarsDecodeException">A TUP buffer is not a valid parameter map, or a JSON buffer not a JSON object.</exception>
    public TarsParameters(short version, ReadOnlyMemory<byte> buffer, int maxDepth = TarsReader.DefaultMaxDepth)
    {
        if (version is not (TarsVersion.Tars or TarsVersion.TupComplex or TarsVersion.Tup or TarsVersion.Json))
            throw new TarsDecodeException($"unsupported TARS version {version} (expected 1, 2, 3 or 5)");
        Version = version;
        _buffer = buffer;
        _maxDepth = maxDepth;
        if (TarsVersion.IsTup(version)) _named = ParseMap(version, buffer, maxDepth);
        else if (version == TarsVersion.Json) (_named, _json) = ParseJson(buffer, maxDepth);
    }

    /// <summary>The wire version.</summary>
    public short Version { get; }

    /// <summary>The raw <c>sBuffer</c>.</summary>
    public ReadOnlyMemory<byte> Buffer => _buffer;

    /// <summary>The TUP parameter names present (empty for TARS v1).</summary>
    public IEnumerable<string> Names => _named?.Keys ?? Enumerable.Empty<string>();

    /// <summary>Reads a required parameter.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="tag">TARS v1 tag (1-based position counting in and out parameters; 0 = return value).</param>
    /// <param name="name">TUP name ("" = return value).</param>
    /// <param name="read">Reads the value as required at the tag it is given.</param>
    /// <returns>The value.</returns>
    /// <exception cref="TarsDecodeException">The parameter is missing or malformed.</exception>
    public T Read<T>(int tag, string name, TarsValueReader<T> read) => ReadCore(tag, name, read, true, default!);

    /// <summary>Reads an optional parameter (e.g. an out-parameter a client may send), or returns <paramref name="defaultValue"/>.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="tag">TARS v1 tag.</param>
    /// <param name="name">TUP name.</param>
    /// <param name="read">Reads the value as required at the tag it is given.</param>
    /// <param name="defaultValue">Value when absent.</param>
    /// <returns>The value.</returns>
    public T ReadOptional<T>(int tag, string name, TarsValueReader<T> read, T defaultValue) => ReadCore(tag, name, read, false, defaultValue);

    /// <summary>Reads the return value: tag 0 (v1), or key "" with <c>tars_ret</c> as fallback (TUP).</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="read">Reads the value as required at the tag it is given.</param>
    /// <returns>The value.</returns>
    public T ReadReturn<T>(TarsValueReader<T> read)
    {
        if (_named is not null && !_named.ContainsKey(TarsKeys.TupReturnEmpty) && _named.ContainsKey(TarsKeys.TupReturn))
            return ReadCore(0, TarsKeys.TupReturn, read, true, default!);
        return ReadCore(0, TarsKeys.TupReturnEmpty, read, true, default!);
    }

    private T ReadCore<T>(int tag, string name, TarsValueReader<T> read, bool required, T defaultValue)
    {
        ArgumentNullException.ThrowIfNull(read);
        if (_named is not null)
        {
            if (!_named.TryGetValue(name, out var value))
            {
                if (required) throw new TarsDecodeException($"required parameter '{name}' is missing");
                return defaultValue;
            }
            var valueReader = new TarsReader(value.Span, _maxDepth);
            if (_json is null) return read(ref valueReader, 0);
            try
            {
                return read(ref valueReader, 0);
            }
            catch (TarsDecodeException e)
            {
                return ReadJsonAgain(name, read, e);
            }
        }

        // TARS v1: generated code reads in ascending tag order, so continue after the previous field when possible.
        int start = tag > _lastTag ? _lastEnd : 0;
        var reader = new TarsReader(_buffer.Span[start..], _maxDepth);
        var probe = reader;
        if (!probe.TrySeekField(tag, out _))
        {
            if (required) throw new TarsDecodeException($"required parameter '{name}' (tag {tag}) is missing");
            return defaultValue;
        }
        var result = read(ref reader, tag);
        _lastTag = tag;
        _lastEnd = start + reader.Position;
        return result;
    }

    /// <summary>
    /// JSON has one number type: a whole number went out as an integer, which a float or double reader refuses, so it is
    /// offered once more as DOUBLE and as FLOAT before the error stands (explained for the JSON cases that cannot work).
    /// </summary>
    private T ReadJsonAgain<T>(string name, TarsValueReader<T> read, TarsDecodeException error)
    {
        var element = _json![name];
        if (element.ValueKind == System.Text.Json.JsonValueKind.Number && element.TryGetDouble(out double number))
        {
            foreach (bool asDouble in (ReadOnlySpan<bool>)[true, false])
            {
                using var buffer = new TarsBufferWriter(16);
                var writer = new TarsWriter(buffer);
                if (asDouble) writer.WriteDouble(0, number);
                else writer.WriteFloat(0, (float)number);
                try
                {
                    var again = new TarsReader(buffer.WrittenSpan, _maxDepth);
                    return read(ref again, 0);
                }
                catch (TarsDecodeException)
                {
                }
            }
        }
        string hint = element.ValueKind == System.Text.Json.JsonValueKind.Object
            ? " (a JSON object arrives as map<string, V>; struct parameters travel only over versions 1, 2 and 3)" : "";
        throw new TarsDecodeException($"JSON parameter '{name}': {error.Message}{hint}");
    }

    private static (Dictionary<string, ReadOnlyMemory<byte>>, Dictionary<string, System.Text.Json.JsonElement>) ParseJson(ReadOnlyMemory<byte> buffer, int maxDepth)
    {
        System.Text.Json.JsonElement root;
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(buffer, new System.Text.Json.JsonDocumentOptions { MaxDepth = maxDepth });
            root = document.RootElement.Clone();
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new TarsDecodeException($"the TARS JSON (version 5) buffer is not valid JSON: {e.Message}");
        }
        if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
            throw new TarsDecodeException($"the TARS JSON (version 5) buffer must be a JSON object of parameters by name, not {root.ValueKind}");
        var named = new Dictionary<string, ReadOnlyMemory<byte>>(StringComparer.Ordinal);
        var json = new Dictionary<string, System.Text.Json.JsonElement>(StringComparer.Ordinal);
        using var scratch = new TarsBufferWriter();
        foreach (var member in root.EnumerateObject())
        {
            if (member.Value.ValueKind == System.Text.Json.JsonValueKind.Null) continue; // null = absent, as C++ reads it
            scratch.Clear();
            var writer = new TarsWriter(scratch);
            TarsJsonBridge.WriteTars(ref writer, 0, member.Value, member.Name);
            named[member.Name] = scratch.WrittenSpan.ToArray();
            json[member.Name] = member.Value;
        }
        return (named, json);
    }

    private static Dictionary<string, ReadOnlyMemory<byte>> ParseMap(short version, ReadOnlyMemory<byte> buffer, int maxDepth)
    {
        var reader = new TarsReader(buffer.Span, maxDepth);
        reader.TryReadMapHeader(0, true, out int count);
        var map = new Dictionary<string, ReadOnlyMemory<byte>>(count, StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string key = reader.ReadString(0, true);
            ReadOnlySpan<byte> value;
            if (version == TarsVersion.Tup)
            {
                value = reader.ReadBytesSpan(1, true);
            }
            else
            {
                reader.TryReadMapHeader(1, true, out int inner);
                if (inner < 1) throw new TarsDecodeException($"TUP v2 parameter '{key}' has no typed value");
                reader.ReadString(0, true);
                value = reader.ReadBytesSpan(1, true);
                for (int j = 1; j < inner; j++)
                {
                    reader.ReadString(0, true);
                    reader.ReadBytesSpan(1, true);
                }
            }
            int offset = reader.Position - value.Length;
            map[key] = buffer.Slice(offset, value.Length);
        }
        return map;
    }
}
