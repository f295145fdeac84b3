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
//   --mode ddp           under mpirun -np N: DistributedDataParallel, each rank batch / N samples on the engine's
//                        default thread count (cores / ranks on this machine), or --threads when given
// --batch overrides the model's global batch (the ddp rank's share on its own: --mode single --batch 128).
// With ddp it also reports the all-reduce time of the gradients alone and how much of it the backward hid, the
// share of buckets whose all-reduce finished before the backward did, and the time spent copying gradients into
// buckets and writing the averages back. Every mode reports each rank's CPU time per step, the whole process's and
// its main thread's (the rest is the communication thread, the pool's workers, the JIT and the GC): unlike wall
// time, it barely moves when other programs load the machine, and a rank that spins while it waits shows there.
string Option(string name, string fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
}
string modelName = Option("--model", "mlpbig");
string mode = Option("--mode", "single");
bool threadsGiven = Array.IndexOf(args, "--threads") >= 0;
int threads = int.Parse(Option("--threads", "2"), CultureInfo.InvariantCulture);
double seconds = double.Parse(Option("--seconds", "4"), CultureInfo.InvariantCulture);

var group = ProcessGroup.Init();
if (mode == "threads" || (mode == "ddp" && threadsGiven)) Tensor.SetNumThreads(threads);
else if (mode != "ddp") Tensor.SetNumThreads(1);
int computeThreads = Tensor.GetNumThreads();
Tensor.ManualSeed(42);
var (model, batch, sample) = BenchmarkModels.Build(modelName);
if (Array.IndexOf(args, "--batch") >= 0) batch = int.Parse(Option("--batch", "0"), CultureInfo.InvariantCulture);
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
// The main thread's CPU time in each phase of a step (zero-grad and forward, backward, optimizer step), from
// clock_gettime(CLOCK_THREAD_CPUTIME_ID): which part of the step does not shrink with the batch.
double[] phaseCpu = new double[3];
void Step(bool measure)
{
    double t0 = ThreadCpu.Seconds();
    optimizer.ZeroGrad();
    var (x, y) = (xs[k % 4], ys[k % 4]);
    double t1 = t0, t2 = t0;
    if (parallel is not null)
    {
        parallel.ForwardBackward([x, y], (replica, shard) => loss.Forward(replica.Forward(shard[0]), shard[1]));
        t1 = t2 = ThreadCpu.Seconds();
    }
    else
    {
        var l = loss.Forward(ddp is null ? model.Forward(x) : ddp.Forward(x), y);
        t1 = ThreadCpu.Seconds();
        var clock = Stopwatch.StartNew();
        l.Backward();
        t2 = ThreadCpu.Seconds();
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
    if (measure)
    {
        phaseCpu[0] += t1 - t0;
        phaseCpu[1] += t2 - t1;
        phaseCpu[2] += ThreadCpu.Seconds() - t2;
    }
    k++;
}

// Warm-up (tiered JIT: a method called once a step reaches tier 1 after 30 calls, so 40 steps at least; with
// fewer, the JIT's thread still compiled through the measured steps under load), then a fixed number of steps
// that every rank agrees on. The ranks decide together when
// the warm-up ends: a rank that took one step more than the others would wait in an all-reduce forever.
var warm = Stopwatch.StartNew();
for (int i = 0; ; i++)
{
    Step(false);
    var more = Tensor.FromArray(new[] { i < 40 || warm.Elapsed.TotalSeconds < 1.5 ? 1L : 0L }, 1);
    group.AllReduce(more, ReduceOp.Max);
    if (more.ToInt64Array()[0] == 0) break;
}
var probe = Stopwatch.StartNew();
for (int i = 0; i < 5; i++) Step(false);
var steps = Tensor.FromArray(new[] { (long)Math.Max(10, seconds / (probe.Elapsed.TotalSeconds / 5)) }, 1);
group.AllReduce(steps, ReduceOp.Max);
int n = (int)steps.ToInt64Array()[0];
group.Barrier();
var process = Process.GetCurrentProcess();
var cpuStart = process.TotalProcessorTime;
double mainStart = MainThreadCpuSeconds();
var sw = Stopwatch.StartNew();
for (int i = 0; i < n; i++) Step(true);
double perStep = sw.Elapsed.TotalSeconds / n;
process.Refresh();
double cpuPerStep = (process.TotalProcessorTime - cpuStart).TotalSeconds / n;
double mainCpuPerStep = (MainThreadCpuSeconds() - mainStart) / n;
// Every rank's figures, in rank order.
var cpu = group.AllGather(Tensor.FromArray(new[] { (long)(cpuPerStep * 1e6), (long)(mainCpuPerStep * 1e6),
    (long)(phaseCpu[0] / n * 1e6), (long)(phaseCpu[1] / n * 1e6), (long)(phaseCpu[2] / n * 1e6) }, 5)).ToInt64Array();
string PerRank(int field) => "[" + string.Join(",", Enumerable.Range(0, group.WorldSize).Select(r => (cpu[r * 5 + field] / 1e3).ToString("F3", CultureInfo.InvariantCulture))) + "]";

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
        $"{{\"model\":\"{modelName}\",\"mode\":\"{mode}\",\"processes\":{group.WorldSize},\"threads\":{computeThreads},\"replicas\":{(parallel is null ? 1 : threads)},\"batch\":{batch},\"steps\":{n},\"ms_per_step\":{perStep * 1e3:F3},\"samples_per_s\":{batch / perStep:F1},\"backward_ms\":{backward / n * 1e3:F3},\"allreduce_alone_ms\":{commPerStep * 1e3:F3},\"exposed_allreduce_ms\":{exposed / n * 1e3:F3},\"bucket_copy_ms\":{copying / n * 1e3:F3},\"average_ms\":{averaging / n * 1e3:F3},\"hidden_fraction\":{hidden:F3},\"buckets_done_before_backward_end\":{bucketsDone / n:F3},\"gradient_bytes\":{gradientBytes},\"cpu_ms_per_step\":{PerRank(0)},\"main_thread_cpu_ms_per_step\":{PerRank(1)},\"main_cpu_ms_forward\":{PerRank(2)},\"main_cpu_ms_backward\":{PerRank(3)},\"main_cpu_ms_optimizer\":{PerRank(4)}}}"));
}
group.Dispose();
return 0;

// This thread's user + system time from /proc/thread-self/stat (fields 14 and 15, in clock ticks of 10 ms).
static double MainThreadCpuSeconds()
{
    var stat = File.ReadAllText("/proc/thread-self/stat");
    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
    return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
}

static unsafe class ThreadCpu
{
    const int ClockThreadCpuTime = 3;
    static readonly delegate* unmanaged<int, long*, int> s_clockGettime =
        (delegate* unmanaged<int, long*, int>)System.Runtime.InteropServices.NativeLibrary.GetExport(
            System.Runtime.InteropServices.NativeLibrary.Load("libc.so.6"), "clock_gettime");

    /// <summary>The calling thread's CPU time.</summary>
    public static double Seconds()
    {
        long* timespec = stackalloc long[2];
        s_clockGettime(ClockThreadCpuTime, timespec);
        return timespec[0] + timespec[1] * 1e-9;
    }
}
