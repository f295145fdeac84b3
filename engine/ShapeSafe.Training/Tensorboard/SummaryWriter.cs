using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ShapeSafe.Tensorboard;

/// <summary>
/// Writes TensorBoard event files (PyTorch's <c>torch.utils.tensorboard.SummaryWriter</c>): one file
/// <c>events.out.tfevents.{timestamp}.{hostname}</c> in <see cref="LogDir"/>, of TFRecord-framed <c>Event</c>
/// protocol buffers. Point <c>tensorboard --logdir</c> at the folder above it. Events are buffered and flushed every
/// <c>flushSeconds</c>, on <see cref="Flush"/> and on <see cref="Dispose"/>, so TensorBoard reads the file while
/// training runs. Not thread-safe: call it from one thread (the trainer's callback does).
/// </summary>
public sealed class SummaryWriter : IDisposable
{
    readonly RecordWriter _records;
    readonly Dictionary<string, SummaryWriter> _children = new(StringComparer.Ordinal);
    readonly TimeSpan _flushInterval;
    readonly Stopwatch _sinceFlush = Stopwatch.StartNew();
    bool _disposed;

    /// <summary>
    /// A writer into <paramref name="logDir"/> (created if missing); null picks PyTorch's default,
    /// <c>runs/{date}_{time}_{hostname}</c>.
    /// </summary>
    /// <param name="logDir">The run's folder.</param>
    /// <param name="flushSeconds">How often buffered events reach the file at most (PyTorch's <c>flush_secs</c>, default 120).</param>
    /// <param name="filenameSuffix">Appended to the event file's name.</param>
    public SummaryWriter(string? logDir = null, double flushSeconds = 120, string filenameSuffix = "")
    {
        LogDir = logDir ?? Path.Combine("runs", DateTime.Now.ToString("MMMdd_HH-mm-ss", CultureInfo.InvariantCulture) + "_" + Environment.MachineName);
        Directory.CreateDirectory(LogDir);
        _flushInterval = TimeSpan.FromSeconds(flushSeconds);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        string name = $"events.out.tfevents.{now}.{Environment.MachineName}{filenameSuffix}";
        // Two writers in one folder within a second get distinct files.
        for (int n = 1; File.Exists(Path.Combine(LogDir, name)); n++)
            name = $"events.out.tfevents.{now}.{Environment.MachineName}.{n}{filenameSuffix}";
        FilePath = Path.Combine(LogDir, name);
        var stream = new FileStream(FilePath, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16);
        _records = new RecordWriter(stream);
        // Every event file starts with its version, as TensorFlow's writer does.
        WriteEvent(new ProtoMessage().DoubleAlways(1, WallTime()).String(3, "brain.Event:2"));
        Flush();
    }

    /// <summary>The folder of this run.</summary>
    public string LogDir { get; }

    /// <summary>The event file being written.</summary>
    public string FilePath { get; }

    /// <summary>Logs a scalar (<c>add_scalar</c>): a point of the chart <paramref name="tag"/> at <paramref name="step"/>.</summary>
    /// <param name="tag">The chart's name; slashes group charts (<c>loss/train</c>).</param>
    /// <param name="value">The value (stored as float, as PyTorch's <c>simple_value</c>).</param>
    /// <param name="step">The x coordinate, usually the global step.</param>
    /// <param name="wallTime">Seconds since the Unix epoch; default now.</param>
    public void AddScalar(string tag, double value, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        var v = new ProtoMessage().String(1, tag).FloatAlways(2, (float)value);
        WriteSummary(v, step, wallTime);
    }

    /// <summary>
    /// Logs several scalars on one chart (<c>add_scalars</c>): as PyTorch does, each goes to its own run folder
    /// <c>{LogDir}/{mainTag}_{key}</c> under the tag <paramref name="mainTag"/>, so TensorBoard overlays them.
    /// </summary>
    public void AddScalars(string mainTag, IReadOnlyDictionary<string, double> values, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(mainTag);
        ArgumentNullException.ThrowIfNull(values);
        foreach (var (key, value) in values)
        {
            string folder = Path.Combine(LogDir, (mainTag + "_" + key).Replace('/', '_'));
            if (!_children.TryGetValue(folder, out var child))
                _children[folder] = child = new SummaryWriter(folder, _flushInterval.TotalSeconds);
            child.AddScalar(mainTag, value, step, wallTime);
        }
    }

    /// <summary>
    /// Logs a histogram of <paramref name="values"/>' elements (<c>add_histogram</c> with <c>bins='tensorflow'</c>):
    /// TensorFlow's default exponential buckets, with the empty ones at either end dropped.
    /// </summary>
    public void AddHistogram(string tag, Tensor values, long step, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentNullException.ThrowIfNull(values);
        var data = values.DType == DType.Int64
            ? values.ToInt64Array().Select(x => (double)x).ToArray()
            : values.Contiguous().ToFloatArray().Select(x => (double)x).ToArray();
        var v = new ProtoMessage().String(1, tag).Message(5, Histogram.Build(data));
        WriteSummary(v, step, wallTime);
    }

    /// <summary>Logs text (<c>add_text</c>), shown in TensorBoard's Text tab (Markdown) under <c>{tag}/text_summary</c>.</summary>
    public void AddText(string tag, string text, long step = 0, double? wallTime = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(tag);
        ArgumentNullException.ThrowIfNull(text);
        var metadata = new ProtoMessage().Message(1, new ProtoMessage().String(1, "text"));
        var tensor = new ProtoMessage()
            .Enum(1, DataTypeString)
            .Message(2, new ProtoMessage().Message(2, new ProtoMessage().Int64(1, 1)))
            .Bytes(8, Encoding.UTF8.GetBytes(text), always: true);
        var v = new ProtoMessage().String(1, tag + "/text_summary").Message(9, metadata).Message(8, tensor);
        WriteSummary(v, step, wallTime);
    }

    /// <summary>
    /// Logs one run's hyperparameters and final metrics for TensorBoard's HParams tab (<c>add_hparams</c>): as
    /// PyTorch does, into a child run <c>{LogDir}/{runName}</c> (default: the current time) the experiment, session
    /// start and session end summaries, and each metric as a scalar at step 0.
    /// </summary>
    /// <param name="hparams">Names to values: numbers (double, float, int, long), strings or booleans.</param>
    /// <param name="metrics">Names to final values.</param>
    /// <param name="runName">The child run's folder name.</param>
    public void AddHparams(IReadOnlyDictionary<string, object> hparams, IReadOnlyDictionary<string, double> metrics, string? runName = null)
    {
        ArgumentNullException.ThrowIfNull(hparams);
        ArgumentNullException.ThrowIfNull(metrics);
        string folder = Path.Combine(LogDir, runName ?? DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        using var child = new SummaryWriter(folder, _flushInterval.TotalSeconds);
        var (experiment, start, end) = Hparams.Build(hparams, metrics);
        child.WriteSummary(experiment, 0, null);
        child.WriteSummary(start, 0, null);
        child.WriteSummary(end, 0, null);
        foreach (var (name, value) in metrics) child.AddScalar(name, value, 0);
    }

    /// <summary>Writes buffered events to the file (and those of the <see cref="AddScalars"/> runs).</summary>
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _records.Flush();
        foreach (var child in _children.Values) child.Flush();
        _sinceFlush.Restart();
    }

    /// <summary>Flushes and closes the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        Flush();
        foreach (var child in _children.Values) child.Dispose();
        _records.Dispose();
        _disposed = true;
    }

    const int DataTypeString = 7;

    void WriteSummary(ProtoMessage value, long step, double? wallTime)
    {
        var summary = new ProtoMessage().Message(1, value);
        WriteEvent(new ProtoMessage().DoubleAlways(1, wallTime ?? WallTime()).Int64(2, step).Message(5, summary));
    }

    void WriteEvent(ProtoMessage e)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _records.Write(e.ToArray());
        if (_sinceFlush.Elapsed >= _flushInterval) Flush();
    }

    static double WallTime() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
}
