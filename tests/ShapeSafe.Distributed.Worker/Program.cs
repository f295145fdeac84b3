using System.Globalization;
using ShapeSafe;
using ShapeSafe.Distributed;
using ShapeSafe.NN;
using ShapeSafe.Optim;

// Usage: ShapeSafe.Distributed.Worker <scenario> [args], under mpirun -np N. Every check that fails throws, which
// ends the job with the failing rank's message; a rank that passes prints "rank R: PASS <scenario>".
var group = ProcessGroup.Init();
var scenario = args.Length > 0 ? args[0] : "collectives";
// One write(2) per line: Console.Out hands a long line to the pipe in pieces, and mpirun forwards each piece as it
// comes, so another rank's line could land in the middle of it (the tests read lines back by rank).
var standardOutput = Console.OpenStandardOutput();
void Say(string line)
{
    Console.Out.Flush();
    var bytes = System.Text.Encoding.UTF8.GetBytes($"rank {group.Rank}: {line}\n");
    lock (standardOutput)
    {
        standardOutput.Write(bytes);
        standardOutput.Flush();
    }
}

switch (scenario)
{
    case "collectives": Scenarios.Collectives(group, Say); break;
    case "ddp": Scenarios.Ddp(group, Say); break;
    case "overlap": Scenarios.Overlap(group, Say); break;
    case "unused": Scenarios.Unused(group, Say); break;
    case "zero": Scenarios.Zero(group, Say, args[1]); break;
    case "resume": Scenarios.Resume(group, Say, args[1]); break;
    case "trainer": TrainerScenario.Run(group, Say, args[1]); break;
    case "trainer-compiled": TrainerScenario.Run(group, Say, args[1], compile: true); break;
    case "raise":
        group.Barrier();
        if (group.Rank == 1) throw new InvalidOperationException("rank 1 gave up on purpose");
        group.AllReduce(Tensor.Ones(4));
        break;
    case "kill":
        group.Barrier();
        if (group.Rank == 1) System.Diagnostics.Process.GetCurrentProcess().Kill();
        group.AllReduce(Tensor.Ones(4));
        group.Barrier();
        break;
    case "late":
        group.Timeout = TimeSpan.FromSeconds(double.Parse(args[1], CultureInfo.InvariantCulture));
        group.Barrier();
        if (group.Rank == group.WorldSize - 1) Thread.Sleep(TimeSpan.FromSeconds(60));
        group.AllReduce(Tensor.Ones(4));
        break;
    default: throw new ArgumentException($"unknown scenario {scenario}");
}
group.Barrier();
Say($"PASS {scenario}");
group.Dispose();

static class Scenarios
{
    static void Check(bool condition, string what)
    {
        if (!condition) throw new InvalidOperationException("check failed: " + what);
    }

    // ----- collectives against their definitions -----

    public static void Collectives(ProcessGroup g, Action<string> say)
    {
        int n = g.WorldSize, r = g.Rank;
        foreach (int limit in new[] { int.MaxValue, 1000, 7 })
        {
            ProcessGroup.MaxCountPerCall = limit;
            // Sizes: empty, one, uneven (not a multiple of the world size nor of the chunk), large.
            foreach (int size in limit == 7 ? new[] { 0, 1, 23 } : new[] { 0, 1, 7, 1001 })
            {
                // AllReduce, Float32: element i of rank q is q + i / 8 (exact in binary), so sums are exact.
                float Value(int q, int i) => q * 2 - 3 + (i % 64) / 8f;
                foreach (var op in new[] { ReduceOp.Sum, ReduceOp.Average, ReduceOp.Max, ReduceOp.Min })
                {
                    var t = Tensor.FromArray(Enumerable.Range(0, size).Select(i => Value(r, i)).ToArray(), size);
                    g.AllReduce(t, op);
                    var got = t.ToFloatArray();
                    for (int i = 0; i < size; i++)
                    {
                        var each = Enumerable.Range(0, n).Select(q => Value(q, i)).ToArray();
                        float expected = op switch
                        {
                            ReduceOp.Sum => each.Sum(),
                            ReduceOp.Average => each.Sum() / n,
                            ReduceOp.Max => each.Max(),
                            _ => each.Min(),
                        };
                        if (got[i] != expected) Check(false, $"AllReduce {op} size {size} limit {limit} element {i}: {got[i]} != {expected}");
                    }
                }
                // AllReduce, Int64, beyond float precision.
                foreach (var op in new[] { ReduceOp.Sum, ReduceOp.Max, ReduceOp.Min })
                {
                    long LValue(int q, int i) => (1L << 40) * (q + 1) + i - 5 * q;
                    var t = Tensor.FromArray(Enumerable.Range(0, size).Select(i => LValue(r, i)).ToArray(), size);
                    g.AllReduce(t, op);
                    var got = t.ToInt64Array();
                    for (int i = 0; i < size; i++)
                    {
                        var each = Enumerable.Range(0, n).Select(q => LValue(q, i)).ToArray();
                        long expected = op == ReduceOp.Sum ? each.Sum() : op == ReduceOp.Max ? each.Max() : each.Min();
                        if (got[i] != expected) Check(false, $"AllReduce Int64 {op} size {size} element {i}: {got[i]} != {expected}");
                    }
                }
                // Broadcast from every root.
                for (int root = 0; root < n; root++)
                {
                    var t = Tensor.FromArray(Enumerable.Range(0, size).Select(i => (float)(r * 1000 + i % 977)).ToArray(), size);
                    g.Broadcast(t, root);
                    var got = t.ToFloatArray();
                    for (int i = 0; i < size; i++)
                        if (got[i] != root * 1000 + i % 977) Check(false, $"Broadcast root {root} size {size} element {i}");
                }
                // AllGather: row q is rank q's tensor.
                {
                    var t = Tensor.FromArray(Enumerable.Range(0, size).Select(i => (long)(r * 10_000_000 + i)).ToArray(), size);
                    var all = g.AllGather(t);
                    Check(all.Shape.SequenceEqual(new[] { n, size }), $"AllGather shape {string.Join(",", all.Shape)}");
                    var got = all.ToInt64Array();
                    for (int q = 0; q < n; q++)
                        for (int i = 0; i < size; i++)
                            if (got[q * size + i] != q * 10_000_000L + i) Check(false, $"AllGather size {size} rank {q} element {i}");
                }
                // ReduceScatter: input [n * size] (block b of rank q holds q + b + i / 8); rank r gets the sum of block r.
                foreach (var op in new[] { ReduceOp.Sum, ReduceOp.Average, ReduceOp.Max })
                {
                    float Block(int q, int b, int i) => q + 3 * b + (i % 64) / 8f;
                    var data = new float[n * size];
                    for (int b = 0; b < n; b++)
                        for (int i = 0; i < size; i++) data[b * size + i] = Block(r, b, i);
                    var mine = g.ReduceScatter(Tensor.FromArray(data, n * size), op);
                    Check(mine.Shape.SequenceEqual(new[] { size }), "ReduceScatter shape");
                    var got = mine.ToFloatArray();
                    for (int i = 0; i < size; i++)
                    {
                        var each = Enumerable.Range(0, n).Select(q => Block(q, r, i)).ToArray();
                        float expected = op == ReduceOp.Sum ? each.Sum() : op == ReduceOp.Average ? each.Sum() / n : each.Max();
                        if (got[i] != expected) Check(false, $"ReduceScatter {op} size {size} element {i}: {got[i]} != {expected}");
                    }
                }
            }
        }
        // Large tensors, whole and in chunks of a million elements.
        foreach (int limit in new[] { int.MaxValue, 1_000_000 })
        {
            ProcessGroup.MaxCountPerCall = limit;
            const int large = 4_000_003;
            var values = new float[large];
            for (int i = 0; i < large; i++) values[i] = r + (i % 64) / 8f;
            var t = Tensor.FromArray(values, large);
            g.AllReduce(t);
            var got = t.ToFloatArray();
            float ranks = n * (n - 1) / 2f;
            for (int i = 0; i < large; i++)
                if (got[i] != ranks + n * ((i % 64) / 8f)) Check(false, $"large AllReduce element {i}");
            var all = g.AllGather(Tensor.FromArray(values, large)).ToFloatArray();
            for (int q = 0; q < n; q++)
                for (int i = 0; i < large; i += 997)
                    if (all[(long)q * large + i] != q + (i % 64) / 8f) Check(false, $"large AllGather rank {q} element {i}");
            var blocks = new float[n * 1_000_003];
            for (int i = 0; i < blocks.Length; i++) blocks[i] = r + i / 1_000_003;
            var mine = g.ReduceScatter(Tensor.FromArray(blocks, blocks.Length)).ToFloatArray();
            for (int i = 0; i < mine.Length; i++)
                if (mine[i] != ranks + n * r) Check(false, $"large ReduceScatter element {i}");
        }
        ProcessGroup.MaxCountPerCall = int.MaxValue;

        // Multi-dim tensors keep their shape.
        var m = Tensor.Ones(2, 3);
        g.AllReduce(m);
        Check(m.Shape.SequenceEqual(new[] { 2, 3 }) && m.ToFloatArray().All(v => v == n), "AllReduce 2x3");
        var rs = g.ReduceScatter(Tensor.Ones(2 * n, 5));
        Check(rs.Shape.SequenceEqual(new[] { 2, 5 }) && rs.ToFloatArray().All(v => v == n), "ReduceScatter [2n, 5]");

        // Shapes that disagree: every rank throws the same ShapeException, and the group stays usable.
        try
        {
            g.AllReduce(Tensor.Zeros(4, r == n - 1 ? 2 : 3));
            Check(false, "AllReduce with different shapes did not throw");
        }
        catch (ShapeException e)
        {
            Check(e.Message.Contains("shapes differ across ranks", StringComparison.Ordinal) && e.Message.Contains($"rank {n - 1} [4, 2]", StringComparison.Ordinal), e.Message);
            if (r == 0) say($"mismatch message: {e.Message}");
        }
        try
        {
            if (r == 0) g.Broadcast(Tensor.Zeros(3)); else g.AllReduce(Tensor.Zeros(3));
            Check(false, "different collectives did not throw");
        }
        catch (DistributedException e)
        {
            Check(e.Message.Contains("different collectives", StringComparison.Ordinal), e.Message);
        }
        var after = Tensor.Ones(3);
        g.AllReduce(after);
        Check(after.ToFloatArray().All(v => v == n), "the group works after a refused collective");
        g.Barrier();
    }

    // ----- models -----

    sealed class Net : Module, ITensorModule
    {
        public Net(long seed)
        {
            var generator = new Generator(seed);
            Body = RegisterModule("body", new Sequential(new Linear(6, 16, generator: generator), new Tanh(), new Linear(16, 16, generator: generator), new ReLU(), new Linear(16, 3, generator: generator)));
            Stats = RegisterModule("stats", new RunningMean());
        }

        public Sequential Body { get; }

        public RunningMean Stats { get; }

        public Tensor Forward(Tensor x) => Body.Forward(Stats.Forward(x));
    }

    // A buffer that training updates from the local batch, like batch norm's running mean.
    sealed class RunningMean : Module, ITensorModule
    {
        public RunningMean() => Mean = RegisterBuffer("mean", Tensor.Zeros(6))!;

        public Tensor Mean { get; }

        public Tensor Forward(Tensor x)
        {
            if (Training)
                using (Autograd.NoGrad())
                    Mean.CopyFrom(Mean * 0.9f + x.Mean(0) * 0.1f);
            return x;
        }
    }

    const int Batch = 24;

    static (Tensor X, Tensor Y) Data(int step)
    {
        var generator = new Generator(1000 + step);
        return (Tensor.Randn(new[] { Batch, 6 }, generator), Tensor.Randn(new[] { Batch, 3 }, generator));
    }

    static Tensor Shard(Tensor t, ProcessGroup g) => t.Narrow(0, g.Rank * (Batch / g.WorldSize), Batch / g.WorldSize).Contiguous();

    static float[] Flat(Module m) => m.Parameters().SelectMany(p => p.ToFloatArray()).ToArray();

    static string Fingerprint(float[] values)
    {
        ulong hash = 14695981039346656037UL;
        foreach (var v in values) hash = (hash ^ BitConverter.SingleToUInt32Bits(v)) * 1099511628211UL;
        return hash.ToString("x16", CultureInfo.InvariantCulture);
    }

    static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    static void SameOnEveryRank(ProcessGroup g, float[] values, string what)
    {
        var all = g.AllGather(Tensor.FromArray(values, values.Length)).ToFloatArray();
        for (int q = 1; q < g.WorldSize; q++)
            for (int i = 0; i < values.Length; i++)
                if (BitConverter.SingleToUInt32Bits(all[q * values.Length + i]) != BitConverter.SingleToUInt32Bits(all[i]))
                    Check(false, $"{what}: rank {q} differs from rank 0 at element {i}");
    }

    // ----- DistributedDataParallel -----

    public static void Ddp(ProcessGroup g, Action<string> say)
    {
        if (Batch % g.WorldSize != 0) throw new ArgumentException("the world size must divide the batch");
        // Rank-dependent seeds: the construction must broadcast rank 0's parameters.
        var model = new Net(seed: 7 + g.Rank);
        var ddp = new DistributedDataParallel<Net>(model, g, bucketCapBytes: 512);
        var reference = new Net(seed: 7);
        Check(MaxDifference(Flat(model), Flat(reference)) == 0, "construction broadcasts rank 0's parameters");
        say($"buckets {ddp.Buckets.Count}");

        var optimizer = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9);
        var referenceOptimizer = new Sgd(reference.Parameters(), lr: 0.1, momentum: 0.9);
        for (int step = 0; step < 3; step++)
        {
            var (x, y) = Data(step);
            optimizer.ZeroGrad();
            F.MseLoss(ddp.Forward(Shard(x, g)), Shard(y, g)).Backward();
            optimizer.Step();

            referenceOptimizer.ZeroGrad();
            F.MseLoss(reference.Forward(x), y).Backward();
            referenceOptimizer.Step();
        }
        var difference = MaxDifference(Flat(model), Flat(reference));
        say($"ddp-vs-single max-abs-difference {difference.ToString("R", CultureInfo.InvariantCulture)}");
        Check(difference < 1e-5f, $"DDP matches single-process training on the whole batch (difference {difference})");
        SameOnEveryRank(g, Flat(model), "DDP parameters");

        // Gradient accumulation: NoSync on the first half of the local shard, a synchronized backward on the second.
        {
            var (x, y) = Data(10);
            var local = Shard(x, g);
            var localY = Shard(y, g);
            int half = local.Size(0) / 2;
            optimizer.ZeroGrad();
            using (ddp.NoSync())
                (F.MseLoss(ddp.Forward(local.Narrow(0, 0, half)), localY.Narrow(0, 0, half)) * 0.5f).Backward();
            (F.MseLoss(ddp.Forward(local.Narrow(0, half, local.Size(0) - half)), localY.Narrow(0, half, local.Size(0) - half)) * 0.5f).Backward();
            optimizer.Step();
            referenceOptimizer.ZeroGrad();
            F.MseLoss(reference.Forward(x), y).Backward();
            referenceOptimizer.Step();
            var accumulated = MaxDifference(Flat(model), Flat(reference));
            say($"nosync-vs-single max-abs-difference {accumulated.ToString("R", CultureInfo.InvariantCulture)}");
            Check(accumulated < 1e-5f, $"NoSync accumulation matches the whole batch (difference {accumulated})");
            SameOnEveryRank(g, Flat(model), "parameters after NoSync accumulation");
        }

        // Buffers follow rank 0: an eval forward broadcasts them and changes nothing.
        model.Eval();
        using (Autograd.NoGrad()) ddp.Forward(Tensor.Zeros(1, 6));
        SameOnEveryRank(g, model.Stats.Mean.ToFloatArray(), "buffers");
        say($"fingerprint {Fingerprint(Flat(model))}");
    }

    // Each layer its own 1 MiB bucket, and a first layer whose weight gradient takes far longer than the others':
    // the last layers' all-reduces have that long to finish, and do only if communication runs beside the backward.
    public static void Overlap(ProcessGroup g, Action<string> say)
    {
        Tensor.ManualSeed(3);
        var model = new Sequential(new Linear(4096, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 512), new ReLU(), new Linear(512, 512));
        var ddp = new DistributedDataParallel<Sequential>(model, g, bucketCapBytes: 1L << 20);
        Check(ddp.Buckets.Count == 4, $"one bucket per layer ({ddp.Buckets.Count})");
        var generator = new Generator(5 + g.Rank);
        var x = Tensor.Randn(new[] { 512, 4096 }, generator);
        int best = 0;
        for (int step = 0; step < 5; step++)
        {
            foreach (var p in model.Parameters()) p.Grad = null;
            ddp.Forward(x).Square().Mean().Backward();
            best = Math.Max(best, ddp.LastBucketsDoneBeforeBackwardEnd);
        }
        say($"overlapped buckets {best} of {ddp.Buckets.Count} (communication thread {g.OverlapsCommunication})");
        Check(g.OverlapsCommunication, "Open MPI grants MPI_THREAD_MULTIPLE");
        Check(best >= 1, "a bucket's all-reduce finished while the backward still ran");
        SameOnEveryRank(g, model.Parameters().SelectMany(p => p.Grad!.ToFloatArray()).ToArray(), "averaged gradients");
    }

    // ----- parameters without a gradient -----

    sealed class BranchNet : Module
    {
        public BranchNet(long seed)
        {
            var generator = new Generator(seed);
            Body = RegisterModule("body", new Sequential(new Linear(6, 16, generator: generator), new Tanh(), new Linear(16, 3, generator: generator)));
            Extra = RegisterModule("extra", new Linear(3, 3, generator: generator));
        }

        public Sequential Body { get; }

        public Linear Extra { get; }

        public Tensor Run(Tensor x, bool useExtra)
        {
            var h = Body.Forward(x);
            return useExtra ? h + Extra.Forward(h) : h;
        }
    }

    public static void Unused(ProcessGroup g, Action<string> say)
    {
        var (x, y) = Data(0);
        var (sx, sy) = (Shard(x, g), Shard(y, g));

        // Without findUnusedParameters: the forward after a backward that left extra.* without gradient says which.
        {
            var model = new BranchNet(7);
            var ddp = new DistributedDataParallel<BranchNet>(model, g, bucketCapBytes: 512);
            F.MseLoss(ddp.Forward(m => m.Run(sx, useExtra: false)), sy).Backward();
            try
            {
                ddp.Forward(m => m.Run(sx, useExtra: false));
                Check(false, "a forward after a backward without every gradient did not throw");
            }
            catch (DistributedException e)
            {
                say($"unused message: {e.Message.Replace("\n", " | ", StringComparison.Ordinal)}");
            }
        }

        // findUnusedParameters, extra.* unused on every rank: it keeps no gradient and the rest trains as one process.
        {
            var model = new BranchNet(7 + g.Rank);
            var ddp = new DistributedDataParallel<BranchNet>(model, g, bucketCapBytes: 512, findUnusedParameters: true);
            var reference = new BranchNet(7);
            var optimizer = new Sgd(model.Parameters(), lr: 0.1);
            var referenceOptimizer = new Sgd(reference.Parameters(), lr: 0.1);
            for (int step = 0; step < 3; step++)
            {
                var (bx, by) = Data(step);
                optimizer.ZeroGrad();
                F.MseLoss(ddp.Forward(m => m.Run(Shard(bx, g), useExtra: false)), Shard(by, g)).Backward();
                optimizer.Step();
                referenceOptimizer.ZeroGrad();
                F.MseLoss(reference.Run(bx, useExtra: false), by).Backward();
                referenceOptimizer.Step();
            }
            Check(model.Extra.Weight.Grad is null && model.Extra.Bias!.Grad is null, "a parameter no rank used keeps no gradient");
            var difference = MaxDifference(Flat(model), Flat(reference));
            say($"unused-everywhere max-abs-difference {difference.ToString("R", CultureInfo.InvariantCulture)}");
            Check(difference < 1e-5f, $"findUnusedParameters trains the used parameters as one process (difference {difference})");
            SameOnEveryRank(g, Flat(model), "parameters with findUnusedParameters");
        }

        // findUnusedParameters, extra.* used by the last rank alone: every rank gets the average over the ranks,
        // the gradient of the mean of the ranks' losses.
        {
            bool Uses(int rank) => rank == g.WorldSize - 1;
            var model = new BranchNet(7);
            var ddp = new DistributedDataParallel<BranchNet>(model, g, bucketCapBytes: 512, findUnusedParameters: true);
            F.MseLoss(ddp.Forward(m => m.Run(sx, Uses(g.Rank))), sy).Backward();

            var reference = new BranchNet(7);
            Tensor? total = null;
            for (int r = 0; r < g.WorldSize; r++)
            {
                int rows = Batch / g.WorldSize;
                var loss = F.MseLoss(reference.Run(x.Narrow(0, r * rows, rows), Uses(r)), y.Narrow(0, r * rows, rows));
                total = total is null ? loss : total + loss;
            }
            (total! / g.WorldSize).Backward();
            float worst = 0;
            foreach (var (mine, theirs) in model.Parameters().Zip(reference.Parameters()))
            {
                Check(mine.Grad is not null, "every parameter some rank used has a gradient on every rank");
                worst = Math.Max(worst, MaxDifference(mine.Grad!.ToFloatArray(), theirs.Grad!.ToFloatArray()));
            }
            say($"unused-on-some-ranks max-abs-gradient-difference {worst.ToString("R", CultureInfo.InvariantCulture)}");
            Check(worst < 1e-6f, $"gradients of a parameter some ranks did not use are the average over all ranks (difference {worst})");
            SameOnEveryRank(g, model.Parameters().SelectMany(p => p.Grad!.ToFloatArray()).ToArray(), "gradients with findUnusedParameters");
        }
    }

    // ----- ZeRO -----

    const int ZeroSteps = 3;

    public static void Zero(ProcessGroup g, Action<string> say, string checkpoint)
    {
        Optimizer MakeAdam(IEnumerable<Parameter> ps) => new Adam(ps, lr: 0.01, weightDecay: 0.01);

        var plain = new Net(7);
        var plainDdp = new DistributedDataParallel<Net>(plain, g);
        var plainOptimizer = MakeAdam(plain.Parameters());

        var one = new Net(7);
        var oneDdp = new DistributedDataParallel<Net>(one, g);
        var stage1 = new ZeroRedundancyOptimizer(one.Parameters(), MakeAdam, g, stage: 1);

        var two = new Net(7);
        var stage2 = new ZeroRedundancyOptimizer(two.Parameters(), MakeAdam, g, stage: 2);

        for (int step = 0; step < ZeroSteps; step++)
        {
            var (x, y) = Data(step);
            var (sx, sy) = (Shard(x, g), Shard(y, g));
            plainOptimizer.ZeroGrad();
            F.MseLoss(plainDdp.Forward(sx), sy).Backward();
            plainOptimizer.Step();

            stage1.ZeroGrad();
            F.MseLoss(oneDdp.Forward(sx), sy).Backward();
            stage1.Step();

            stage2.ZeroGrad();
            F.MseLoss(two.Forward(sx), sy).Backward();
            stage2.Step();
        }
        var d1 = MaxDifference(Flat(one), Flat(plain));
        var d2 = MaxDifference(Flat(two), Flat(plain));
        say($"stage1-vs-ddp max-abs-difference {d1.ToString("R", CultureInfo.InvariantCulture)}");
        say($"stage2-vs-ddp max-abs-difference {d2.ToString("R", CultureInfo.InvariantCulture)}");
        Check(d1 == 0, $"ZeRO stage 1 gives plain DDP's parameters bit for bit (difference {d1})");
        Check(d2 < 1e-6f, $"ZeRO stage 2 gives plain DDP's parameters (difference {d2})");
        SameOnEveryRank(g, Flat(one), "stage 1 parameters");
        SameOnEveryRank(g, Flat(two), "stage 2 parameters");

        // Stage 2 keeps the gradient of its shard alone; stage 1 also keeps DDP's averaged gradients.
        long gradientBytes = plain.Parameters().Sum(p => p.NumEl * 4L);
        say($"gradient-bytes whole {gradientBytes} stage1 {stage1.LocalGradientBytes} stage2 {stage2.LocalGradientBytes}");
        Check(two.Parameters().All(p => p.Grad is null), "stage 2 drops the parameters' gradients after the reduce-scatter");
        Check(stage2.LocalGradientBytes == 4L * stage2.ShardLength, $"stage 2 keeps 1/N of the gradient ({stage2.LocalGradientBytes} bytes)");
        Check(stage1.LocalGradientBytes == gradientBytes + 4L * stage1.ShardLength, $"stage 1 keeps the whole gradient and its shard's ({stage1.LocalGradientBytes} bytes)");

        long whole = plain.Parameters().Sum(p => plainOptimizer.GetState(p).Values.Sum(t => t.NumEl * 4L));
        say($"state-bytes whole {whole} stage1 {stage1.LocalStateBytes} stage2 {stage2.LocalStateBytes} shard-elements {stage1.ShardLength} parameters {plain.Parameters().Sum(p => p.NumEl)}");
        // exp_avg and exp_avg_sq are sharded exactly; step is one scalar per parameter in the plain optimizer and one per rank here.
        long moments = 2L * 4 * stage1.ShardLength;
        Check(stage1.LocalStateBytes == moments + 4, $"stage 1 keeps 1/N of the moments ({stage1.LocalStateBytes} bytes)");

        // The consolidated state is the plain optimizer's.
        stage1.ConsolidateStateDict(0);
        if (g.Rank == 0)
        {
            var consolidated = stage1.StateDict();
            var expected = plainOptimizer.StateDict();
            Check(consolidated.Tensors.Count == expected.Tensors.Count, "consolidated key count");
            foreach (var (key, value) in expected.Tensors)
                Check(consolidated.Tensors.TryGetValue(key, out var got) && got.Shape.SequenceEqual(value.Shape) && MaxDifference(got.ToFloatArray(), value.ToFloatArray()) == 0, $"consolidated {key}");
            Check(consolidated.Metadata["param_groups"] == expected.Metadata["param_groups"], "consolidated param_groups " + consolidated.Metadata["param_groups"]);
        }

        DistributedCheckpoint.Save(checkpoint, one, stage1, g);
        // The reference continuation, for resume on another world size.
        for (int step = ZeroSteps; step < ZeroSteps + 2; step++)
        {
            var (x, y) = Data(step);
            stage1.ZeroGrad();
            F.MseLoss(oneDdp.Forward(Shard(x, g)), Shard(y, g)).Backward();
            stage1.Step();
        }
        if (g.Rank == 0) File.WriteAllText(checkpoint + ".expected", string.Join("\n", Flat(one).Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        g.Barrier();
    }

    public static void Resume(ProcessGroup g, Action<string> say, string checkpoint)
    {
        var model = new Net(99 + g.Rank);
        var ddp = new DistributedDataParallel<Net>(model, g);
        var zero = new ZeroRedundancyOptimizer(model.Parameters(), ps => new Adam(ps, lr: 0.5), g, stage: 1);
        DistributedCheckpoint.Load(checkpoint, model, zero);
        Check(zero.Inner.ParamGroups[0] is AdamParamGroup { Lr: 0.01 }, "the learning rate comes from the checkpoint");
        for (int step = ZeroSteps; step < ZeroSteps + 2; step++)
        {
            var (x, y) = Data(step);
            zero.ZeroGrad();
            F.MseLoss(ddp.Forward(Shard(x, g)), Shard(y, g)).Backward();
            zero.Step();
        }
        var expected = File.ReadAllLines(checkpoint + ".expected").Select(s => float.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        var difference = MaxDifference(Flat(model), expected);
        say($"resume-vs-original max-abs-difference {difference.ToString("R", CultureInfo.InvariantCulture)}");
        Check(difference < 1e-5f, $"resuming on {g.WorldSize} ranks continues the run (difference {difference})");
        SameOnEveryRank(g, Flat(model), "resumed parameters");
    }
}
