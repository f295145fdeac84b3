using ShapeSafe.Benchmarks;
using System.Diagnostics;
using System.Globalization;
using ShapeSafe;
using ShapeSafe.Distributed;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using ShapeSafe.Parallel;

// Samples/s of one training step (SGD, cross-entropy, fixed random batches) for one global batch:
//   --mode single        one process, one thread
//   --mode threads       one process, --threads intra-op threads
//   --mode dataparallel  one process, ShapeSafe.Parallel.DataParallel with --threads replicas
//   --mode ddp           under mpirun -np N: DistributedDataParallel, each rank one thread and batch / N samples
// With ddp it also reports the all-reduce time of the gradients alone and how much of it the backward hid, the
// share of buckets whose all-reduce finished before the backward did, and the time spent copying gradients into
// buckets and writing the averages back.
string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
string modelName = Option("--model", "mlpbig");
string mode = Option("--mode", "single");
int threads = int.Parse(Option("--threads", "2"), CultureInfo.InvariantCulture);
double seconds = double.Parse(Option("--seconds", "4"), CultureInfo.InvariantCulture);

var group = ProcessGroup.Init();
Tensor.SetNumThreads(mode == "threads" ? threads : 1);
Tensor.ManualSeed(42);
var (model, batch, sample) = BenchmarkModels.Build(modelName);
int local = mode == "ddp" ? batch / group.WorldSize : batch;
var gen = new Generator(7 + group.Rank);
var xs = Enumerable.Range(0, 4).Select(_ => Tensor.Randn(new[] { local }.Concat(sample).ToArray(), gen)).ToArray();
var ys = Enumerable.Range(0, 4).Select(_ => Tensor.Randint(0, 10, new[] { local }, gen)).ToArray();
var loss = new CrossEntropyLoss();
var optimizer = new Sgd(model.Parameters(), lr: 0.01);
var ddp = mode == "ddp" ? new DistributedDataParallel<Sequential>(model, group) : null;
var parallel = mode == "dataparallel" ? new DataParallel<Sequential>(model, () => BenchmarkModels.Build(modelName).Model, threads) : null;

double exposed = 0, backward = 0, copying = 0, averaging = 0, bucketsDone = 0;
int k = 0;
void Step(bool measure)
{
    optimizer.ZeroGrad();
    var (x, y) = (xs[k % 4], ys[k % 4]);
    if (parallel is not null)
    {
        parallel.ForwardBackward([x, y], (replica, shard) => loss.Forward(replica.Forward(shard[0]), shard[1]));
    }
    else
    {
        var l = loss.Forward(ddp is null ? model.Forward(x) : ddp.Forward(x), y);
        var clock = Stopwatch.StartNew();
        l.Backward();
        if (measure)
        {
            backward += clock.Elapsed.TotalSeconds;
            if (ddp is not null)
            {
                exposed += ddp.LastExposedCommunication.TotalSeconds;
                copying += ddp.LastBucketCopyTime.TotalSeconds;
                averaging += ddp.LastAverageTime.TotalSeconds;
                bucketsDone += (double)ddp.LastBucketsDoneBeforeBackwardEnd / ddp.Buckets.Count;
            }
        }
    }
    optimizer.Step();
    k++;
}

// Warm-up (tiered JIT), then a fixed number of steps that every rank agrees on. The ranks decide together when
// the warm-up ends: a rank that took one step more than the others would wait in an all-reduce forever.
var warm = Stopwatch.StartNew();
for (int i = 0; ; i++)
{
    Step(false);
    var more = Tensor.FromArray(new[] { i < 10 || warm.Elapsed.TotalSeconds < 1.5 ? 1L : 0L }, 1);
    group.AllReduce(more, ReduceOp.Max);
    if (more.ToInt64Array()[0] == 0) break;
}
var probe = Stopwatch.StartNew();
for (int i = 0; i < 5; i++) Step(false);
var steps = Tensor.FromArray(new[] { (long)Math.Max(10, seconds / (probe.Elapsed.TotalSeconds / 5)) }, 1);
group.AllReduce(steps, ReduceOp.Max);
int n = (int)steps.ToInt64Array()[0];
group.Barrier();
var sw = Stopwatch.StartNew();
for (int i = 0; i < n; i++) Step(true);
double perStep = sw.Elapsed.TotalSeconds / n;

// The same gradient bytes all-reduced on their own (blocking, one message per bucket): what DDP has to hide.
double commPerStep = 0;
if (ddp is not null)
{
    var grads = model.Parameters().Select(p => Tensor.ZerosLike(p)).ToArray();
    var buckets = ddp.Buckets.Select(b => Tensor.Zeros(b.Sum(i => (int)grads[i].NumEl))).ToArray();
    group.Barrier();
    var c = Stopwatch.StartNew();
    for (int i = 0; i < n; i++) foreach (var t in buckets) group.AllReduce(t);
    commPerStep = c.Elapsed.TotalSeconds / n;
}
long gradientBytes = model.Parameters().Sum(p => p.NumEl) * 4;
if (group.Rank == 0)
{
    var hidden = commPerStep > 0 ? Math.Clamp(1 - exposed / n / commPerStep, 0, 1) : 0;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{{\"model\":\"{modelName}\",\"mode\":\"{mode}\",\"processes\":{group.WorldSize},\"threads\":{(mode == "threads" ? threads : 1)},\"replicas\":{(parallel is null ? 1 : threads)},\"batch\":{batch},\"steps\":{n},\"ms_per_step\":{perStep * 1e3:F3},\"samples_per_s\":{batch / perStep:F1},\"backward_ms\":{backward / n * 1e3:F3},\"allreduce_alone_ms\":{commPerStep * 1e3:F3},\"exposed_allreduce_ms\":{exposed / n * 1e3:F3},\"bucket_copy_ms\":{copying / n * 1e3:F3},\"average_ms\":{averaging / n * 1e3:F3},\"hidden_fraction\":{hidden:F3},\"buckets_done_before_backward_end\":{bucketsDone / n:F3},\"gradient_bytes\":{gradientBytes}}}"));
}
group.Dispose();
return 0;
