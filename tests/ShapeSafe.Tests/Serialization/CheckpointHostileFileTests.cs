using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using ShapeSafe.Serialization;

namespace ShapeSafe.Tests.Serialization;

/// <summary>Checkpoints that are not what they seem: repeated fields, huge names, directories, FIFOs, empty tensors of huge shapes, and what killed saves leave behind.</summary>
public sealed class CheckpointHostileFileTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("shapesafe-checkpoint-hostile-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string PathOf(string name) => Path.Combine(_folder, name);

    static void WriteRaw(string path, string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        File.WriteAllBytes(path, bytes);
    }

    [Fact]
    public void A_field_repeated_inside_one_entry_is_refused()
    {
        var path = PathOf("repeated.safetensors");
        WriteRaw(path, """{"w":{"dtype":"F32","shape":[2],"dtype":"I64","data_offsets":[0,8]}}""", new byte[8]);
        var e = Assert.Throws<CheckpointException>(() => Safetensors.Load(path));
        Assert.Contains("tensor 'w' has the field 'dtype' twice", e.Message);
    }

    [Fact]
    public void Errors_quote_at_most_an_excerpt_of_a_huge_name_or_value()
    {
        var path = PathOf("huge.safetensors");
        var name = new string('n', 1_000_000);
        var dtype = new string('D', 1_000_000);
        WriteRaw(path, $$$"""{"{{{name}}}":{"dtype":"{{{dtype}}}","shape":[2],"data_offsets":[0,8]}}""", new byte[8]);
        var e = Assert.Throws<CheckpointException>(() => Safetensors.Load(path));
        Assert.Contains("unknown dtype", e.Message);
        Assert.Contains("(1000000 characters)", e.Message);
        Assert.True(e.Message.Length < 600, $"{e.Message.Length} characters");
    }

    [Fact]
    public void A_directory_is_a_checkpoint_error_an_IOException()
    {
        IOException e = Assert.Throws<CheckpointException>(() => Safetensors.Load(_folder));
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public async Task A_fifo_is_refused_instead_of_blocking()
    {
        if (OperatingSystem.IsWindows()) return;
        var path = PathOf("pipe.safetensors");
        using (var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", path) { UseShellExecute = false })!) mkfifo.WaitForExit();
        var load = Task.Run(() => Safetensors.Load(path));
        var first = await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(10)));
        if (first != load) File.WriteAllBytes(path, new byte[8]); // unblock the reader before failing
        Assert.Same(load, first);
        await Assert.ThrowsAsync<CheckpointException>(() => load);
    }

    [Fact]
    public void An_empty_tensor_of_a_huge_shape_round_trips()
    {
        var path = PathOf("empty.safetensors");
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["a"] = Tensor.Zeros(0, 65536, 65536), ["b"] = Tensor.Zeros(65536, 65536, 0) });
        var loaded = Safetensors.Load(path);
        Assert.Equal(new[] { 0, 65536, 65536 }, loaded["a"].Shape);
        Assert.Equal(new[] { 65536, 65536, 0 }, loaded["b"].Shape);
        // A file claiming such a tensor loads too, rather than throwing OverflowException.
        WriteRaw(path, """{"x":{"dtype":"F32","shape":[65536,65536,0],"data_offsets":[0,0]}}""", Array.Empty<byte>());
        Assert.Equal(0, Safetensors.Load(path)["x"].NumEl);
    }

    [Fact]
    public void A_save_removes_temporaries_that_killed_saves_to_the_same_path_left()
    {
        var path = PathOf("model.safetensors");
        var stale = PathOf($".model.safetensors.{Guid.NewGuid():N}.tmp");
        var inProgress = PathOf($".model.safetensors.{Guid.NewGuid():N}.tmp");
        var otherFile = PathOf($".other.safetensors.{Guid.NewGuid():N}.tmp");
        var notOurs = PathOf(".model.safetensors.notes.tmp");
        foreach (var file in new[] { stale, inProgress, otherFile, notOurs }) File.WriteAllBytes(file, new byte[1000]);
        // A save still writing holds its temporary exclusively.
        using (new FileStream(inProgress, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = Tensor.Ones(2) });

        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(inProgress));
        Assert.True(File.Exists(otherFile));
        Assert.True(File.Exists(notOurs));
        Assert.Equal(new[] { 1f, 1f }, Safetensors.Load(path)["w"].ToFloatArray());
    }
}
