using System.Text;
using ShapeSafe;
using ShapeSafe.Tensorboard;

namespace ShapeSafe.Training.Tests;

public sealed class SummaryWriterTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tensorboard-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        // The CRC-32C check value from RFC 3720's examples and every CRC catalogue: "123456789" → 0xE3069283.
        Assert.Equal(0xE3069283u, EventFileReader.Crc32C("123456789"u8));
    }

    [Fact]
    public void Scalars_are_framed_events_readable_while_the_writer_is_open()
    {
        using var writer = new SummaryWriter(Path.Combine(_dir, "run"));
        Assert.Matches(@"^events\.out\.tfevents\.\d{10}\." + System.Text.RegularExpressions.Regex.Escape(Environment.MachineName) + "$", Path.GetFileName(writer.FilePath));
        writer.AddScalar("loss/train", 0.5, 1);
        writer.AddScalar("loss/train", 0.25, 2, wallTime: 1234.5);
        writer.AddScalar("zero", 0.0, 0);
        writer.Flush();

        var events = EventFileReader.Read(writer.FilePath);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        Assert.InRange(events[0].WallTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 60);
        Assert.Equal(
            new (string?, float?, long)[] { ("loss/train", 0.5f, 1), ("loss/train", 0.25f, 2), ("zero", 0f, 0) },
            events.Skip(1).Select(e => (e.Tag, e.Value, e.Step)));
        Assert.Equal(1234.5, events[2].WallTime);
    }

    [Fact]
    public void Scalars_of_one_chart_go_to_one_run_folder_each()
    {
        using (var writer = new SummaryWriter(_dir))
            writer.AddScalars("loss", new Dictionary<string, double> { ["train"] = 1.5, ["valid"] = 2.5 }, 3);
        foreach (var (folder, value) in new[] { ("loss_train", 1.5f), ("loss_valid", 2.5f) })
        {
            var file = Assert.Single(Directory.GetFiles(Path.Combine(_dir, folder), "events.out.tfevents.*"));
            var e = EventFileReader.Read(file)[1];
            Assert.Equal(("loss", value, 3L), (e.Tag, e.Value, e.Step));
        }
    }

    [Fact]
    public void Histograms_count_values_in_tensorflow_buckets()
    {
        using var writer = new SummaryWriter(_dir);
        writer.AddHistogram("weights", Tensor.FromArray(new[] { -1f, 0f, 0.5f, 0.5f, 2f }, 5), 7);
        writer.Flush();
        var e = EventFileReader.Read(writer.FilePath)[1];
        Assert.Equal(("weights", 7L), (e.Tag, e.Step));
        var h = e.Histogram!;
        Assert.Equal((-1.0, 2.0, 5.0, 2.0, 1 + 0.25 + 0.25 + 4.0), (h.Min, h.Max, h.Num, h.Sum, h.SumSquares));
        Assert.Equal(5.0, h.Buckets.Sum());
        Assert.Equal(h.Limits.Length, h.Buckets.Length);
        // Each value lies in its bucket (previous limit, limit]; the empty buckets at the ends are dropped.
        Assert.True(h.Limits[0] >= -1 && h.Buckets[0] == 1 && h.Buckets[^1] == 1 && h.Limits[^1] >= 2);
        Assert.Equal(2.0, h.Buckets.Max());
    }

    [Fact]
    public void Text_and_hparams_carry_their_plugins()
    {
        using var writer = new SummaryWriter(_dir);
        writer.AddText("notes", "**bold** run", 4);
        writer.AddHparams(new Dictionary<string, object> { ["lr"] = 0.01, ["optimizer"] = "adam", ["nesterov"] = true },
            new Dictionary<string, double> { ["hparam/accuracy"] = 0.9 }, runName: "trial");
        writer.Flush();
        var text = EventFileReader.Read(writer.FilePath)[1];
        Assert.Equal(("notes/text_summary", "text", 4L), (text.Tag, text.PluginName, text.Step));
        Assert.Equal("**bold** run", Encoding.UTF8.GetString(Assert.Single(text.StringValues)));

        var trial = EventFileReader.Read(Assert.Single(Directory.GetFiles(Path.Combine(_dir, "trial"), "events.out.tfevents.*")));
        Assert.Equal(
            new[] { "_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info", "hparam/accuracy" },
            trial.Skip(1).Select(e => e.Tag));
        Assert.All(trial.Skip(1).Take(3), e => Assert.Equal("hparams", e.PluginName));
        Assert.Equal(0.9f, trial[^1].Value);

        // HParamsPluginData.session_start_info (3) → hparams map entries (1) of key (1) and google.protobuf.Value (2).
        var start = EventFileReader.Fields(trial[2].PluginContent!).Single(f => f.Number == 3).Bytes!;
        var entries = EventFileReader.Fields(start).Where(f => f.Number == 1).Select(f => EventFileReader.Fields(f.Bytes!)).ToList();
        Assert.Equal(new[] { "lr", "optimizer", "nesterov" }, entries.Select(e => Encoding.UTF8.GetString(e[0].Bytes!)));
        var lr = EventFileReader.Fields(entries[0][1].Bytes!).Single();
        Assert.Equal((2, 0.01), (lr.Number, BitConverter.Int64BitsToDouble((long)lr.Fixed)));
        var optimizer = EventFileReader.Fields(entries[1][1].Bytes!).Single();
        Assert.Equal((3, "adam"), (optimizer.Number, Encoding.UTF8.GetString(optimizer.Bytes!)));
        var nesterov = EventFileReader.Fields(entries[2][1].Bytes!).Single();
        Assert.Equal((4, 1UL), (nesterov.Number, nesterov.Varint));
    }
}
