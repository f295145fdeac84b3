using System.Buffers.Binary;
using System.Text;
using ShapeSafe.NN;
using ShapeSafe.Serialization;
using static ShapeSafe.Tests.NN.Modules.TestModules;
// The stand-ins, not ShapeSafe.NN's real layers of the same names.
using LeakyReLU = ShapeSafe.Tests.NN.Modules.TestModules.LeakyReLU;
using Linear = ShapeSafe.Tests.NN.Modules.TestModules.Linear;
using ReLU = ShapeSafe.Tests.NN.Modules.TestModules.ReLU;

namespace ShapeSafe.Tests.Serialization;

/// <summary>The safetensors format: exact bytes out, exact values back, and every malformed file refused.</summary>
public sealed class SafetensorsTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("shapesafe-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string PathOf(string name) => Path.Combine(_folder, name);

    [Fact]
    public void Values_round_trip_bit_for_bit()
    {
        var floats = new[]
        {
            0f, -0f, 1.5f, -3.25e-7f, float.Epsilon, float.MaxValue, float.NegativeInfinity,
            BitConverter.Int32BitsToSingle(0x7FC01234), BitConverter.Int32BitsToSingle(unchecked((int)0xFFA00001)),
        };
        var tensors = new Dictionary<string, Tensor>
        {
            ["floats"] = Tensor.FromArray(floats, 3, 3),
            ["longs"] = Tensor.FromArray(new[] { long.MinValue, -1L, 0L, long.MaxValue }, 2, 2),
            ["scalar"] = Tensor.Scalar(2.5f),
            ["empty"] = Tensor.Zeros(0, 3),
            ["transposed"] = Tensor.FromArray(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, 2, 3).Transpose(0, 1),
        };
        var path = PathOf("values.safetensors");

        Safetensors.Save(path, tensors);
        var loaded = Safetensors.Load(path, out var metadata);

        Assert.Equal(new[] { "empty", "floats", "longs", "scalar", "transposed" }, loaded.Keys);
        Assert.Empty(metadata);
        Assert.Equal(floats.Select(BitConverter.SingleToInt32Bits), loaded["floats"].ToFloatArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(new[] { 3, 3 }, loaded["floats"].Shape);
        Assert.Equal(DType.Int64, loaded["longs"].DType);
        Assert.Equal(new[] { long.MinValue, -1L, 0L, long.MaxValue }, loaded["longs"].ToInt64Array());
        Assert.Equal(0, loaded["scalar"].Rank);
        Assert.Equal(2.5f, loaded["scalar"].Item());
        Assert.Equal(new[] { 0, 3 }, loaded["empty"].Shape);
        Assert.Equal(new[] { 3, 2 }, loaded["transposed"].Shape);
        Assert.True(loaded["transposed"].IsContiguous);
        Assert.Equal(new[] { 1f, 4f, 2f, 5f, 3f, 6f }, loaded["transposed"].ToFloatArray());
    }

    [Fact]
    public void The_file_is_the_header_length_the_padded_json_header_and_the_data()
    {
        var path = PathOf("exact.safetensors");

        Safetensors.Save(path,
            new Dictionary<string, Tensor> { ["b"] = Tensor.FromArray(new[] { 1f, 2f }), ["a"] = Tensor.FromArray(new[] { 7L }) },
            new Dictionary<string, string> { ["format"] = "pt" });

        const string json = """{"__metadata__":{"format":"pt"},"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""";
        Assert.Equal(139, json.Length);   // padded with 5 spaces to 144, a multiple of 8
        var expected = new List<byte>();
        expected.AddRange(new byte[] { 144, 0, 0, 0, 0, 0, 0, 0 });
        expected.AddRange(Encoding.UTF8.GetBytes(json + "     "));
        expected.AddRange(new byte[] { 7, 0, 0, 0, 0, 0, 0, 0 });
        expected.AddRange(new byte[] { 0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40 });   // 1f, 2f little-endian
        Assert.Equal(expected.ToArray(), File.ReadAllBytes(path));
    }

    [Fact]
    public void Same_size_tensors_are_written_in_sorted_name_order_without_metadata()
    {
        var path = PathOf("sorted.safetensors");

        Safetensors.Save(path, new Dictionary<string, Tensor>
        {
            ["w2"] = Tensor.Zeros(1),
            ["w10"] = Tensor.Zeros(2),
            ["a"] = Tensor.Zeros(3),
        });

        var bytes = File.ReadAllBytes(path);
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, length % 8);
        Assert.Equal(
            """{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"w10":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"w2":{"dtype":"F32","shape":[1],"data_offsets":[20,24]}}""",
            Encoding.UTF8.GetString(bytes, 8, length).TrimEnd(' '));
        Assert.Equal(8 + length + 24, bytes.Length);
    }

    [Fact]
    public void An_empty_dictionary_is_an_empty_object_padded_to_eight_bytes()
    {
        var path = PathOf("empty.safetensors");

        Safetensors.Save(path, new Dictionary<string, Tensor>());

        Assert.Equal(new byte[] { 8, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}', 32, 32, 32, 32, 32, 32 }, File.ReadAllBytes(path));
        Assert.Empty(Safetensors.Load(path));
    }

    [Fact]
    public void A_file_written_by_another_writer_reads_back()
    {
        // Keys out of order, offsets not in key order, whitespace in the JSON: all legal.
        var path = PathOf("foreign.safetensors");
        var data = new byte[8 + 12];
        BinaryPrimitives.WriteInt64LittleEndian(data, -5);
        BitConverter.GetBytes(0.25f).CopyTo(data, 8);
        BitConverter.GetBytes(-1f).CopyTo(data, 12);
        BitConverter.GetBytes(8f).CopyTo(data, 16);
        WriteRaw(path, """
            { "z": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]},
              "__metadata__": {"format": "pt", "note": "hi"},
              "m": {"shape": [1, 3], "dtype": "F32", "data_offsets": [8, 20]} }
            """, data);

        var loaded = Safetensors.Load(path, out var metadata);

        Assert.Equal(new[] { "m", "z" }, loaded.Keys);
        Assert.Equal(new[] { 0.25f, -1f, 8f }, loaded["m"].ToFloatArray());
        Assert.Equal(new[] { 1, 3 }, loaded["m"].Shape);
        Assert.Equal(-5L, loaded["z"].ItemInt64());
        Assert.Equal("hi", metadata["note"]);
    }

    [Fact]
    public void Module_save_and_load_round_trip_through_a_file()
    {
        var source = new BigNet();
        var target = new BigNet();
        var path = PathOf("bignet.safetensors");

        source.Save(path);
        var (missing, unexpected) = target.Load(path);

        Assert.Empty(missing);
        Assert.Empty(unexpected);
        Assert.Equal(Snapshot(source), Snapshot(target));
        Safetensors.Load(path, out var metadata);
        Assert.Equal("pt", metadata["format"]);
    }

    [Fact]
    public void Int64_buffers_and_shared_modules_survive_a_save_and_load()
    {
        var source = new Block();
        using (ShapeSafe.Autograd.NoGrad()) source.Norm.NumBatchesTracked.CopyFrom(Tensor.Scalar(12L));
        var target = new Block();
        var path = PathOf("block.safetensors");

        source.Save(path);
        target.Load(path);

        Assert.Equal(12L, target.Norm.NumBatchesTracked.ItemInt64());
        Assert.Equal(Snapshot(source), Snapshot(target));

        var shared = new Linear(2, 2);
        new Sequential(shared, shared).Save(path);
        var other = new Linear(2, 2);
        new Sequential(other, other).Load(path);
        Assert.Equal(shared.Weight.ToFloatArray(), other.Weight.ToFloatArray());
        Assert.Equal(new[] { "0.bias", "0.weight", "1.bias", "1.weight" }, Safetensors.Load(path).Keys);
    }

    [Fact]
    public void Saving_replaces_the_file_and_leaves_no_temporary_file()
    {
        var path = PathOf("model.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(4) });

        Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = Tensor.Ones(2) });

        Assert.Equal(new[] { 1f, 1f }, Safetensors.Load(path)["x"].ToFloatArray());
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));
    }

    [Fact]
    public void A_failed_save_leaves_the_old_file_intact_and_no_temporary_file()
    {
        var path = PathOf("model.safetensors");
        new MyLinear(2, 2).Save(path);
        var before = File.ReadAllBytes(path);

        Assert.Throws<ArgumentException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["__metadata__"] = Tensor.Zeros(1) }));
        var folderAsTarget = Directory.CreateDirectory(PathOf("taken")).FullName;
        Assert.ThrowsAny<IOException>(() => Safetensors.Save(folderAsTarget, new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(1) }));

        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(new[] { path }, Directory.GetFiles(_folder));
    }

    // ---------------------------------------------------------------- malformed files

    const string ValidHeader = """{"bias":{"dtype":"F32","shape":[2],"data_offsets":[24,32]},"weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""";

    static byte[] Data(int bytes) => Enumerable.Range(0, bytes / 4).SelectMany(i => BitConverter.GetBytes(100f + i)).ToArray();

    public static TheoryData<string, string> CorruptFiles => new()
    {
        { "too-short", "fewer than the 8-byte header length" },
        { "header-past-end", "the header length 4096 runs past the end of the file" },
        { "header-too-large", "exceeds the limit of 100000000 bytes" },
        { "truncated", "tensor 'bias': data_offsets [24, 32] run past the end of the data section (28 bytes); the file may be truncated" },
        { "not-json", "does not start with '{'" },
        { "bad-json", "the header is not valid JSON" },
        { "bad-utf8", "the header is not valid UTF-8" },
        { "unknown-dtype", "tensor 'weight' has unknown dtype 'F17'" },
        { "unsupported-dtype", "tensor 'weight' has dtype F16, which ShapeSafe does not load (it loads F32, F64 and I64)" },
        { "shape-offsets-disagree", "tensor 'weight': shape [2, 3] of F32 needs 24 bytes, but data_offsets [0, 20] span 20" },
        { "overlap", "tensor 'bias' (data_offsets [16, 24]) overlaps tensor 'weight' (data_offsets [0, 24])" },
        { "gap", "bytes [24, 28) of the data section belong to no tensor (before tensor 'bias')" },
        { "trailing-bytes", "the file has 4 trailing bytes after the last tensor's data" },
        { "duplicate-name", "the header names 'weight' twice" },
        { "negative-offset", "tensor 'bias': data offset -8 is not a non-negative integer" },
        { "missing-shape", "tensor 'weight' has no 'shape'" },
        { "bad-metadata", "metadata 'epoch' must be a string" },
    };

    void WriteCorrupt(string path, string kind)
    {
        switch (kind)
        {
            case "too-short": File.WriteAllBytes(path, new byte[] { 1, 2, 3, 4, 5 }); break;
            case "header-past-end": WriteRaw(path, ValidHeader, Data(32), headerLength: 4096); break;
            case "header-too-large": WriteRaw(path, ValidHeader, Data(32), headerLength: 1UL << 40); break;
            case "truncated": WriteRaw(path, ValidHeader, Data(28)); break;
            case "not-json": WriteRaw(path, "[1, 2]", Data(32)); break;
            case "bad-json": WriteRaw(path, """{"weight": {"dtype": "F32", """, Data(32)); break;
            case "bad-utf8":
                var header = Encoding.UTF8.GetBytes(ValidHeader.Replace("bias", "bi\u00e9s"));
                header[Array.IndexOf(header, (byte)0xC3)] = 0xFF;
                WriteRaw(path, header, Data(32), null);
                break;
            case "unknown-dtype": WriteRaw(path, ValidHeader.Replace("""{"dtype":"F32","shape":[2,3]""", """{"dtype":"F17","shape":[2,3]"""), Data(32)); break;
            case "unsupported-dtype":
                WriteRaw(path, """{"bias":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"weight":{"dtype":"F16","shape":[2,3],"data_offsets":[0,12]}}""", Data(20));
                break;
            case "shape-offsets-disagree": WriteRaw(path, ValidHeader.Replace("[24,32]", "[20,28]").Replace("[0,24]", "[0,20]"), Data(28)); break;
            case "overlap": WriteRaw(path, ValidHeader.Replace("[24,32]", "[16,24]"), Data(32)); break;
            case "gap": WriteRaw(path, ValidHeader.Replace("[24,32]", "[28,36]"), Data(36)); break;
            case "trailing-bytes": WriteRaw(path, ValidHeader, Data(36)); break;
            case "duplicate-name": WriteRaw(path, ValidHeader.Replace("\"bias\"", "\"weight\""), Data(32)); break;
            case "negative-offset": WriteRaw(path, ValidHeader.Replace("[24,32]", "[-8,0]"), Data(32)); break;
            case "missing-shape": WriteRaw(path, ValidHeader.Replace("\"shape\":[2,3],", ""), Data(32)); break;
            case "bad-metadata": WriteRaw(path, ValidHeader.Replace("{\"bias\"", "{\"__metadata__\":{\"epoch\":3},\"bias\""), Data(32)); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    [Theory]
    [MemberData(nameof(CorruptFiles))]
    public void A_malformed_file_is_refused_with_its_name_and_problem_and_the_module_is_unchanged(string kind, string problem)
    {
        var path = PathOf(kind + ".safetensors");
        WriteCorrupt(path, kind);
        var module = new Linear(3, 2);
        var before = Snapshot(module);

        var direct = Assert.Throws<CheckpointException>(() => Safetensors.Load(path));
        var viaModule = Assert.Throws<CheckpointException>(() => module.Load(path));

        Assert.Contains(problem, direct.Message);
        Assert.StartsWith($"Checkpoint '{path}': ", direct.Message);
        Assert.Equal(path, direct.Path);
        Assert.Equal(direct.Message, viaModule.Message);
        AssertUnchanged(before, module);
    }

    [Fact]
    public void The_valid_base_file_of_the_malformed_cases_loads()
    {
        var path = PathOf("valid.safetensors");
        WriteRaw(path, ValidHeader, Data(32));
        var module = new Linear(3, 2);

        module.Load(path);

        Assert.Equal(new[] { 100f, 101f, 102f, 103f, 104f, 105f }, module.Weight.ToFloatArray());
        Assert.Equal(new[] { 106f, 107f }, module.Bias!.ToFloatArray());
    }

    [Fact]
    public void A_file_with_the_wrong_shape_is_refused_naming_the_key_and_both_shapes()
    {
        var path = PathOf("wrong-shape.safetensors");
        WriteRaw(path, ValidHeader.Replace("[2,3]", "[3,2]"), Data(32));
        var module = new Linear(3, 2);
        var before = Snapshot(module);

        var e = Assert.Throws<CheckpointException>(() => module.Load(path, strict: false));

        Assert.Contains($"Checkpoint '{path}': Error(s) in loading state_dict for Linear:", e.Message);
        Assert.Contains("size mismatch for weight: copying a param with shape [3, 2] from checkpoint, the shape in current model is [2, 3].", e.Message);
        Assert.IsType<StateDictException>(e.InnerException);
        AssertUnchanged(before, module);
    }

    [Fact]
    public void A_file_missing_a_key_is_refused_when_strict_and_reported_when_not()
    {
        var path = PathOf("missing-key.safetensors");
        WriteRaw(path, """{"weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""", Data(24));
        var module = new Linear(3, 2);
        var before = Snapshot(module);

        var e = Assert.Throws<CheckpointException>(() => module.Load(path));
        Assert.Contains("Missing key(s) in state_dict: \"bias\".", e.Message);
        AssertUnchanged(before, module);

        var (missing, unexpected) = module.Load(path, strict: false);
        Assert.Equal(new[] { "bias" }, missing);
        Assert.Empty(unexpected);
        Assert.Equal(new[] { 100f, 101f, 102f, 103f, 104f, 105f }, module.Weight.ToFloatArray());
    }

    static void WriteRaw(string path, string header, byte[] data, ulong? headerLength = null) =>
        WriteRaw(path, Encoding.UTF8.GetBytes(header), data, headerLength);

    static void WriteRaw(string path, byte[] header, byte[] data, ulong? headerLength)
    {
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        File.WriteAllBytes(path, bytes);
    }
}
