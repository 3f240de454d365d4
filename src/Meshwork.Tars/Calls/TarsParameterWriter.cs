namespace Meshwork.Tars;

/// <summary>
/// Writes the parameters of a call (client: in-parameters; server: return value and out-parameters) in the form the
/// wire version needs: TARS v1 writes each value at its tag into one buffer; TUP (v2, v3) encodes each value on its own
/// at tag 0 and files it under its name (v2 also under its type name) in a <c>map&lt;string, vector&lt;byte&gt;&gt;</c>.
/// TARS JSON (v5) turns each value into a JSON member (see <see cref="TarsVersion.Json"/>). Generated code calls it without
/// knowing the version. Buffers are pooled; <see cref="Dispose"/> returns them.
/// </summary>
public sealed class TarsParameterWriter : IDisposable
{
    private readonly TarsBufferWriter _values = new();
    private TarsBufferWriter? _composed;
    private List<(string Name, string TypeName, int Start, int Length)>? _entries;
    private List<(string Name, byte[] Json)>? _jsonEntries;
    private System.Text.Json.Utf8JsonWriter? _json;
    private TarsBufferWriter? _jsonValue;

    /// <summary>Creates a writer for <paramref name="version"/> (1, 2, 3 or 5).</summary>
    /// <param name="version">The <c>iVersion</c> of the packet the parameters go into.</param>
    public TarsParameterWriter(short version)
    {
        if (version is not (TarsVersion.Tars or TarsVersion.TupComplex or TarsVersion.Tup or TarsVersion.Json))
            throw new ArgumentOutOfRangeException(nameof(version), version, "Parameters are written for TARS version 1, 2, 3 or 5.");
        Version = version;
    }

    /// <summary>The wire version.</summary>
    public short Version { get; private set; }

    /// <summary>Forgets everything written and switches to <paramref name="version"/>, keeping the buffers (a server reuses writers across calls).</summary>
    internal void Reset(short version)
    {
        Clear();
        Version = version;
    }

    /// <summary>
    /// Writes one parameter.
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="tag">TARS v1 tag: the parameter's 1-based position counting in and out parameters (0 = return value).</param>
    /// <param name="name">TUP key: the parameter's IDL name ("" = return value).</param>
    /// <param name="typeName">
    /// TUP v2 type name (<c>int32</c>, <c>string</c>, <c>list&lt;int32&gt;</c>, <c>map&lt;string,int32&gt;</c>,
    /// <c>Module.Struct</c>, ...). Vectors may be spelled <c>list&lt;T&gt;</c> (Java) or <c>List&lt;T&gt;</c> (Node); they
    /// go out as <c>List&lt;T&gt;</c>, the spelling the Node reader looks up (Java accepts any).
    /// </param>
    /// <param name="value">The value.</param>
    /// <param name="write">Writes the value at the tag it is given.</param>
    /// <exception cref="TarsException">Version 5 only: the value is or holds a struct, which TARS JSON cannot carry here (-2).</exception>
    public void Write<T>(int tag, string name, string typeName, T value, TarsValueWriter<T> write)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(typeName);
        ArgumentNullException.ThrowIfNull(write);
        _composed?.Clear();
        var writer = new TarsWriter(_values);
        if (Version == TarsVersion.Tars)
        {
            write(ref writer, tag, value);
            return;
        }
        int start = _values.WrittenCount;
        write(ref writer, 0, value);
        if (Version == TarsVersion.Json)
        {
            // Converted now, so that a value JSON cannot carry fails inside the handler (or the caller) with a clear error.
            var reader = new TarsReader(_values.WrittenSpan[start..]);
            _json ??= new System.Text.Json.Utf8JsonWriter(_jsonValue ??= new TarsBufferWriter());
            _json.Reset(_jsonValue!);
            _jsonValue!.Clear();
            TarsJsonBridge.WriteJson(ref reader, _json, name);
            _json.Flush();
            (_jsonEntries ??= []).Add((name, _jsonValue.WrittenSpan.ToArray()));
            _values.Clear();
            return;
        }
        string wireTypeName = Version == TarsVersion.TupComplex ? TarsTupTypeNames.ToWire(typeName) : typeName;
        (_entries ??= []).Add((name, wireTypeName, start, _values.WrittenCount - start));
    }

    /// <summary>
    /// Writes the return value: tag 0 for TARS v1; key "" for TUP (v3 also under <c>tars_ret</c>, as C++ and Go servers
    /// do, so every client finds it).
    /// </summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="typeName">TUP v2 type name.</param>
    /// <param name="value">The value.</param>
    /// <param name="write">Writes the value at the tag it is given.</param>
    public void WriteReturn<T>(string typeName, T value, TarsValueWriter<T> write)
    {
        Write(0, Version == TarsVersion.Json ? TarsKeys.TupReturn : TarsKeys.TupReturnEmpty, typeName, value, write);
        if (Version == TarsVersion.Tup)
        {
            var last = _entries![^1];
            _entries.Add((TarsKeys.TupReturn, last.TypeName, last.Start, last.Length));
        }
    }

    /// <summary>The encoded <c>sBuffer</c> content (valid until the next write or <see cref="Dispose"/>).</summary>
    public ReadOnlySpan<byte> Buffer
    {
        get
        {
            if (Version == TarsVersion.Tars) return _values.WrittenSpan;
            if (_composed is { WrittenCount: > 0 }) return _composed.WrittenSpan;
            if (Version == TarsVersion.Json) return ComposeJson();
            _composed ??= new TarsBufferWriter();
            var writer = new TarsWriter(_composed);
            var entries = _entries;
            int count = entries?.Count ?? 0;
            writer.WriteMapHeader(0, count);
            var values = _values.WrittenSpan;
            for (int i = 0; i < count; i++)
            {
                var (name, typeName, start, length) = entries![i];
                writer.WriteString(0, name);
                var bytes = values.Slice(start, length);
                if (Version == TarsVersion.Tup)
                {
                    writer.WriteBytes(1, bytes);
                }
                else
                {
                    writer.WriteMapHeader(1, 1);
                    writer.WriteString(0, typeName);
                    writer.WriteBytes(1, bytes);
                }
            }
            return _composed.WrittenSpan;
        }
    }

    private ReadOnlySpan<byte> ComposeJson()
    {
        _composed ??= new TarsBufferWriter();
        using var json = new System.Text.Json.Utf8JsonWriter(_composed);
        json.WriteStartObject();
        foreach (var (name, value) in _jsonEntries ?? [])
        {
            json.WritePropertyName(name);
            json.WriteRawValue(value, skipInputValidation: true);
        }
        json.WriteEndObject();
        json.Flush();
        return _composed.WrittenSpan;
    }

    /// <summary>Bytes of pooled arrays this writer holds (a reused writer keeps them; a large one should be disposed instead).</summary>
    internal int RetainedBytes => _values.Capacity + (_composed?.Capacity ?? 0) + (_jsonValue?.Capacity ?? 0);

    /// <summary>Forgets everything written, keeping the buffers.</summary>
    public void Clear()
    {
        _values.Clear();
        _composed?.Clear();
        _entries?.Clear();
        _jsonEntries?.Clear();
    }

    /// <summary>Returns the pooled buffers.</summary>
    public void Dispose()
    {
        _values.Dispose();
        _composed?.Dispose();
        _json?.Dispose();
        _jsonValue?.Dispose();
    }
}
