using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;

namespace ShapeSafe.Serialization;

/// <summary>
/// Reads and writes the safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
/// header length N, N bytes of UTF-8 JSON describing each tensor (<c>dtype</c>, <c>shape</c>,
/// <c>data_offsets</c> into the data section) plus optional <c>__metadata__</c> strings, padded with spaces to a
/// multiple of 8, then the tensors' little-endian bytes. Float32 is <c>"F32"</c>, Float64 <c>"F64"</c>, Int64 <c>"I64"</c>.
/// </summary>
/// <remarks>
/// Files are written the way the reference (Rust) writer lays them out: metadata first, tensors ordered by
/// element size (largest first, which keeps every tensor aligned to its size) and then by name, compact JSON.
/// For the usual all-Float32 state dict that is plain sorted-name order. Tensors that share storage are written
/// once per name (the reference refuses them; loading copies each into place, so sharing stays intact).
/// Reading checks everything the reference reader checks, and builds no tensor until the whole header has passed.
/// </remarks>
public static class Safetensors
{
    /// <summary>The reference implementation's limit on the JSON header (100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    const string MetadataKey = "__metadata__";

    static readonly JsonWriterOptions WriterOptions = new()
    {
        // Escape only what JSON requires (quotes, backslashes, control characters), as serde_json does.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
    };

    /// <summary>
    /// Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/>, atomically: the
    /// bytes go to a temporary file in the same folder, which is flushed to disk and then moved over the target.
    /// On any failure the temporary file is deleted and an existing file at <paramref name="path"/> is left as it was.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty or <c>"__metadata__"</c>, a tensor is null, or its dtype is not Float32, Float64 or Int64.</exception>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        var entries = new List<(string Name, byte[] Utf8Name, Tensor Tensor, int ElementSize)>(tensors.Count);
        foreach (var (name, tensor) in tensors)
        {
            if (string.IsNullOrEmpty(name))
                throw new ArgumentException("Safetensors.Save: a tensor name is empty", nameof(tensors));
            if (name == MetadataKey)
                throw new ArgumentException($"Safetensors.Save: '{MetadataKey}' is reserved for metadata and cannot name a tensor", nameof(tensors));
            if (tensor is null)
                throw new ArgumentException($"Safetensors.Save: tensor '{name}' is null", nameof(tensors));
            if (tensor.DType is not (DType.Float32 or DType.Float64 or DType.Int64))
                throw new ArgumentException($"Safetensors.Save: tensor '{name}' has dtype {tensor.DType}, which ShapeSafe does not write (it writes F32, F64 and I64)", nameof(tensors));
            entries.Add((name, Encoding.UTF8.GetBytes(name), tensor, ElementSize(tensor.DType)));
        }
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata)
            {
                if (key is null || value is null)
                    throw new ArgumentException("Safetensors.Save: metadata keys and values must not be null", nameof(metadata));
            }
        }
        entries.Sort((x, y) => x.ElementSize != y.ElementSize
            ? y.ElementSize.CompareTo(x.ElementSize)
            : x.Utf8Name.AsSpan().SequenceCompareTo(y.Utf8Name));

        var header = Header(entries.Select(e => (e.Name, e.Tensor)), metadata);
        WriteAtomically(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var entry in entries) WriteData(stream, entry.Tensor);
        });
    }

    /// <summary>Reads every tensor of a safetensors file, ordered by name.</summary>
    /// <exception cref="CheckpointException">The file is not a valid safetensors file ShapeSafe can read; the message names the file and the problem.</exception>
    public static OrderedDictionary<string, Tensor> Load(string path) => Load(path, out _);

    /// <summary>Reads every tensor of a safetensors file, ordered by name, and its <c>__metadata__</c> (empty when absent).</summary>
    /// <exception cref="CheckpointException">The file is not a valid safetensors file ShapeSafe can read; the message names the file and the problem.</exception>
    public static OrderedDictionary<string, Tensor> Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path))
            throw new CheckpointException(path, "the path is a directory, not a safetensors file");
        // A FIFO or a device reports length 0 and would block or never end: only a file of at least 8 bytes is opened.
        if (new FileInfo(path) is { Exists: true, Length: < 8 } tooShort)
            throw new CheckpointException(path, $"the file has {tooShort.Length} bytes, fewer than the 8-byte header length a safetensors file starts with (or it is not a regular file)");
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new CheckpointException(path, $"the file has {fileLength} bytes, fewer than the 8-byte header length a safetensors file starts with");

        Span<byte> lengthBytes = stackalloc byte[8];
        stream.ReadExactly(lengthBytes);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > MaxHeaderLength)
            throw new CheckpointException(path, $"the header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes (not a safetensors file?)");
        if ((long)headerLength > fileLength - 8)
            throw new CheckpointException(path, $"the header length {headerLength} runs past the end of the file ({fileLength} bytes); the file may be truncated");

        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        long dataLength = fileLength - 8 - (long)headerLength;
        var (infos, meta) = ParseHeader(path, headerBytes);
        CheckOffsets(path, infos, dataLength);

        // The header has passed every check: read the data, which now lies back to back in offset order.
        var read = new Dictionary<string, Tensor>(infos.Count, StringComparer.Ordinal);
        foreach (var info in infos)
            read[info.Name] = ReadData(stream, info);

        var result = new OrderedDictionary<string, Tensor>(infos.Count, StringComparer.Ordinal);
        foreach (var name in read.Keys.OrderBy(n => Encoding.UTF8.GetBytes(n), Utf8Order.Instance))
            result.Add(name, read[name]);
        metadata = meta;
        return result;
    }

    // ---------------------------------------------------------------- writing

    static byte[] Header(IEnumerable<(string Name, Tensor Tensor)> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata) json.WriteString(key, value);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in entries)
            {
                long bytes = tensor.NumEl * ElementSize(tensor.DType);
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeName(tensor.DType));
                json.WriteStartArray("shape");
                foreach (var size in tensor.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Pad with spaces so the data section starts on an 8-byte boundary (the reference writer does the same).
        int padding = (int)((8 - buffer.Length % 8) % 8);
        for (int i = 0; i < padding; i++) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    static void WriteData(Stream stream, Tensor tensor)
    {
        if (tensor.NumEl == 0) return;
        if (tensor.DType == DType.Float32)
        {
            var data = tensor.IsContiguous ? tensor.FloatData.AsSpan(tensor.StorageOffset, tensor.Count) : tensor.ToFloatArray();
            WriteLittleEndian(stream, data);
        }
        else if (tensor.DType == DType.Float64)
        {
            var data = tensor.IsContiguous ? tensor.DoubleData.AsSpan(tensor.StorageOffset, tensor.Count) : tensor.ToDoubleArray();
            WriteLittleEndian(stream, data);
        }
        else
        {
            var data = tensor.IsContiguous ? tensor.LongData.AsSpan(tensor.StorageOffset, tensor.Count) : tensor.ToInt64Array();
            WriteLittleEndian(stream, data);
        }
    }

    static void WriteLittleEndian<T>(Stream stream, Span<T> data) where T : unmanaged
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(data));
            return;
        }
        var copy = data.ToArray();
        ReverseEndianness<T>(copy);
        stream.Write(MemoryMarshal.AsBytes(copy.AsSpan()));
    }

    static void WriteAtomically(string path, Action<Stream> write)
    {
        var fullPath = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(fullPath) ?? throw new ArgumentException($"Safetensors.Save: '{path}' has no folder", nameof(path));
        RemoveStaleTemporaries(folder, Path.GetFileName(fullPath));
        var temp = Path.Combine(folder, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            try
            {
                File.Delete(temp);
            }
            catch (IOException)
            {
                // Best effort: the original error is the one worth reporting.
            }
            catch (UnauthorizedAccessException)
            {
            }
            throw;
        }
    }

    /// <summary>
    /// Deletes what killed saves to the same path left behind: files named as <see cref="WriteAtomically"/> names its
    /// temporaries (<c>.name.&lt;32 hex digits&gt;.tmp</c>) that no save holds open. A save in progress holds its
    /// temporary with <see cref="FileShare.None"/> (a lock on every platform), so opening it fails and it is left alone.
    /// </summary>
    static void RemoveStaleTemporaries(string folder, string fileName)
    {
        string prefix = "." + fileName + ".";
        IEnumerable<string> candidates;
        try
        {
            candidates = Directory.EnumerateFiles(folder, prefix + "*.tmp").ToList();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return; // cleaning up is best effort; the save itself reports real problems
        }
        foreach (var candidate in candidates)
        {
            var middle = Path.GetFileName(candidate.AsSpan())[prefix.Length..^".tmp".Length];
            if (middle.Length != 32 || !IsLowerHex(middle)) continue;
            try
            {
                using var stale = new FileStream(candidate, FileMode.Open, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Held by a save in progress, or not ours to delete.
            }
        }
    }

    static bool IsLowerHex(ReadOnlySpan<char> text)
    {
        foreach (char c in text)
            if (!char.IsAsciiHexDigitLower(c) && !char.IsAsciiDigit(c)) return false;
        return true;
    }

    // ---------------------------------------------------------------- reading

    sealed record TensorInfo(string Name, DType DType, int[] Shape, long Begin, long End);

    static (List<TensorInfo> Infos, IReadOnlyDictionary<string, string> Metadata) ParseHeader(string path, byte[] header)
    {
        if (header.Length == 0 || header[0] != (byte)'{')
            throw new CheckpointException(path, "the header does not start with '{'; this is not a safetensors file");
        if (!Utf8.IsValid(header))
            throw new CheckpointException(path, "the header is not valid UTF-8");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new CheckpointException(path, $"the header is not valid JSON: {Excerpt(e.Message)}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(path, "the header is not a JSON object");
            var infos = new List<TensorInfo>();
            var names = new HashSet<string>(StringComparer.Ordinal);
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw new CheckpointException(path, $"the header names '{Excerpt(property.Name)}' twice");
                if (property.Name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else
                    infos.Add(ReadTensorInfo(path, property.Name, property.Value));
            }
            return (infos, metadata);
        }
    }

    static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind == JsonValueKind.Null) return;
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(path, $"'{MetadataKey}' must be an object of strings, got {value.ValueKind}");
        foreach (var entry in value.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointException(path, $"metadata '{Excerpt(entry.Name)}' must be a string, got {entry.Value.ValueKind}");
            if (!metadata.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new CheckpointException(path, $"metadata names '{Excerpt(entry.Name)}' twice");
        }
    }

    static TensorInfo ReadTensorInfo(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new CheckpointException(path, $"tensor '{Excerpt(name)}': expected an object with dtype, shape and data_offsets, got {value.ValueKind}");
        // JSON allows a repeated field and System.Text.Json reads the last; the reference reader refuses it, and so do we.
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in value.EnumerateObject())
            if (!fields.Add(field.Name))
                throw new CheckpointException(path, $"tensor '{Excerpt(name)}' has the field '{Excerpt(field.Name)}' twice");
        var dtypeName = Field(path, name, value, "dtype", JsonValueKind.String).GetString()!;
        var dtype = dtypeName switch
        {
            "F32" => DType.Float32,
            "F64" => DType.Float64,
            "I64" => DType.Int64,
            _ => throw new CheckpointException(path, KnownDTypes.Contains(dtypeName)
                ? $"tensor '{Excerpt(name)}' has dtype {Excerpt(dtypeName)}, which ShapeSafe does not load (it loads F32, F64 and I64)"
                : $"tensor '{Excerpt(name)}' has unknown dtype '{Excerpt(dtypeName)}'"),
        };

        var shapeElement = Field(path, name, value, "shape", JsonValueKind.Array);
        var shape = new int[shapeElement.GetArrayLength()];
        int d = 0;
        foreach (var size in shapeElement.EnumerateArray())
        {
            if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt32(out shape[d]) || shape[d] < 0)
                throw new CheckpointException(path, $"tensor '{Excerpt(name)}': shape entry {d} is not a size (a non-negative 32-bit integer): {Excerpt(size.GetRawText())}");
            d++;
        }

        var offsets = Field(path, name, value, "data_offsets", JsonValueKind.Array);
        if (offsets.GetArrayLength() != 2)
            throw new CheckpointException(path, $"tensor '{Excerpt(name)}': data_offsets must be [begin, end], got {Excerpt(offsets.GetRawText())}");
        long begin = Offset(path, name, offsets[0]), end = Offset(path, name, offsets[1]);
        if (end < begin)
            throw new CheckpointException(path, $"tensor '{Excerpt(name)}': data_offsets [{begin}, {end}] end before they begin");

        long count = shape.Contains(0) ? 0 : 1; // an empty tensor may have any shape: [65536, 65536, 0] is 0 elements
        foreach (var size in count == 0 ? Array.Empty<int>() : shape)
        {
            count *= size;
            if (count > Array.MaxLength)
                throw new CheckpointException(path, $"tensor '{Excerpt(name)}': shape {Rules.Format(shape)} has more elements than a managed array holds");
        }
        long bytes = count * ElementSize(dtype);
        if (end - begin != bytes)
            throw new CheckpointException(path, $"tensor '{Excerpt(name)}': shape {Rules.Format(shape)} of {Excerpt(dtypeName)} needs {bytes} bytes, but data_offsets [{begin}, {end}] span {end - begin}");
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /// <summary>
    /// Text from the file as an error quotes it: a name or JSON value can be megabytes long, so at most 100 characters
    /// of it, then how long it was.
    /// </summary>
    static string Excerpt(string text) => text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 100), $"… ({text.Length} characters)");

    static JsonElement Field(string path, string name, JsonElement tensor, string field, JsonValueKind kind)
    {
        if (!tensor.TryGetProperty(field, out var value))
            throw new CheckpointException(path, $"tensor '{Excerpt(name)}' has no '{field}'");
        if (value.ValueKind != kind)
            throw new CheckpointException(path, $"tensor '{Excerpt(name)}': '{field}' must be a JSON {kind.ToString().ToLowerInvariant()}, got {Excerpt(value.GetRawText())}");
        return value;
    }

    static long Offset(string path, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long offset) || offset < 0)
            throw new CheckpointException(path, $"tensor '{Excerpt(name)}': data offset {Excerpt(value.GetRawText())} is not a non-negative integer");
        return offset;
    }

    /// <summary>The reference reader's rule: sorted by offsets, the tensors tile the data section exactly, with no overlap, gap or leftover.</summary>
    static void CheckOffsets(string path, List<TensorInfo> infos, long dataLength)
    {
        infos.Sort((x, y) => x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin) : x.End.CompareTo(y.End));
        long next = 0;
        TensorInfo? previous = null;
        foreach (var info in infos)
        {
            if (info.End > dataLength)
                throw new CheckpointException(path, $"tensor '{Excerpt(info.Name)}': data_offsets [{info.Begin}, {info.End}] run past the end of the data section ({dataLength} bytes); the file may be truncated");
            if (info.Begin < next)
                throw new CheckpointException(path, $"tensor '{Excerpt(info.Name)}' (data_offsets [{info.Begin}, {info.End}]) overlaps tensor '{Excerpt(previous!.Name)}' (data_offsets [{previous.Begin}, {previous.End}])");
            if (info.Begin > next)
                throw new CheckpointException(path, $"bytes [{next}, {info.Begin}) of the data section belong to no tensor (before tensor '{Excerpt(info.Name)}')");
            next = info.End;
            previous = info;
        }
        if (next != dataLength)
            throw new CheckpointException(path, $"the file has {dataLength - next} trailing bytes after the last tensor's data");
    }

    static Tensor ReadData(Stream stream, TensorInfo info)
    {
        long count = info.Shape.Aggregate(1L, (n, s) => n * s);
        if (info.DType == DType.Float32)
        {
            var data = new float[count];
            ReadLittleEndian(stream, data);
            return Tensor.Create(new Storage(data), info.Shape);
        }
        if (info.DType == DType.Float64)
        {
            var doubles = new double[count];
            ReadLittleEndian(stream, doubles);
            return Tensor.Create(new Storage(doubles), info.Shape);
        }
        var longs = new long[count];
        ReadLittleEndian(stream, longs);
        return Tensor.Create(new Storage(longs), info.Shape);
    }

    static void ReadLittleEndian<T>(Stream stream, T[] data) where T : unmanaged
    {
        stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        if (!BitConverter.IsLittleEndian) ReverseEndianness<T>(data);
    }

    // ---------------------------------------------------------------- dtypes

    static readonly HashSet<string> KnownDTypes = new(StringComparer.Ordinal)
    {
        "BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64",
        "F8_E5M2", "F8_E4M3", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2", "C64",
    };

    static int ElementSize(DType dtype) => dtype == DType.Float32 ? 4 : 8;

    static string DTypeName(DType dtype) => dtype switch { DType.Float32 => "F32", DType.Float64 => "F64", _ => "I64" };

    static void ReverseEndianness<T>(Span<T> data) where T : unmanaged
    {
        if (System.Runtime.CompilerServices.Unsafe.SizeOf<T>() == 8)
        {
            var longs = MemoryMarshal.Cast<T, long>(data);
            BinaryPrimitives.ReverseEndianness(longs, longs);
        }
        else
        {
            var ints = MemoryMarshal.Cast<T, int>(data);
            BinaryPrimitives.ReverseEndianness(ints, ints);
        }
    }

    /// <summary>Orders names by their UTF-8 bytes, as the reference implementation (Rust strings) does.</summary>
    sealed class Utf8Order : IComparer<byte[]>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
