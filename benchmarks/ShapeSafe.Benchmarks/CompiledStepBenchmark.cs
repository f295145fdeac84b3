using System.Diagnostics;
using ShapeSafe.CompiledGraphs;
using ShapeSafe.NN;
using ShapeSafe.Optim;

namespace ShapeSafe.Benchmarks;

/// <summary>
/// Issue 10's training step of the MLP and the CNN, eager (<c>Sequential</c>) against the <c>[Module]</c> graph
/// (<see cref="CompiledModels"/>), in alternating rounds of thread CPU time, and where a compiled step's time goes:
/// each call of the generated forward and backward run alone on buffers of the shapes the step sees (the same
/// <see cref="GraphOps"/> calls, with the same arguments), beside the loss, the optimizer and the whole step.
/// What the pieces do not add up to is the step's fixed cost (guards, the autograd node, the gradients' hand-over).
/// </summary>
/// <remarks>Usage: <c>compiled-step --model mlp|cnn [--threads 1] [--rounds 6] [--steps N] [--reps N]</c>.</remarks>
internal static class CompiledStepBenchmark
{
    public static int Run(string[] args)
    {
        string name = BenchOutput.Option(args, "--model", "mlp");
        int rounds = int.Parse(BenchOutput.Option(args, "--rounds", "6"));
        int steps = int.Parse(BenchOutput.Option(args, "--steps", name == "mlp" ? "200" : "20"));
        int reps = int.Parse(BenchOutput.Option(args, "--reps", name == "mlp" ? "400" : "40"));
        Tensor.ManualSeed(42);
        var (model, batch, sample) = BenchmarkModels.Build(name);
        Tensor.ManualSeed(42);
        var (compiledForward, compiledModel) = CompiledModels.Build(name);
        var x = Tensor.Randn(new[] { batch }.Concat(sample).ToArray());
        var y = Tensor.Randint(0, 10, new[] { batch });
        var loss = new CrossEntropyLoss();
        var eagerSgd = new Sgd(model.Parameters(), lr: 0.01);
        var compiledSgd = new Sgd(compiledModel.Parameters(), lr: 0.01);

        void Step(Func<Tensor, Tensor> forward, Optimizer optimizer)
        {
            optimizer.ZeroGrad();
            loss.Forward(forward(x), y).Backward();
            optimizer.Step();
        }

        var warmup = Stopwatch.StartNew();
        while (warmup.Elapsed.TotalSeconds < 1.5)
        {
            Step(model.Forward, eagerSgd);
            Step(compiledForward, compiledSgd);
        }
        var eager = new List<double>();
        var graph = new List<double>();
        for (int r = 0; r < rounds; r++)
        {
            eager.Add(Time(() => Step(model.Forward, eagerSgd), steps));
            graph.Add(Time(() => Step(compiledForward, compiledSgd), steps));
        }
        var ratios = eager.Zip(graph, (e, c) => e / c).ToList();

        Console.WriteLine($"{name}, batch {batch}, {Tensor.GetNumThreads()} thread(s): thread CPU ms per call, median of {rounds} rounds");
        Console.WriteLine($"  {"eager step",-44} {BenchOutput.Median(eager) * 1e3,8:F4}");
        Console.WriteLine($"  {"compiled step",-44} {BenchOutput.Median(graph) * 1e3,8:F4}");
        double sum = 0;
        foreach (var (piece, body) in Pieces(name, compiledModel, x, y, loss, compiledSgd))
        {
            for (int i = 0; i < 20; i++) body();
            var times = new List<double>();
            for (int r = 0; r < rounds; r++) times.Add(Time(body, reps));
            double ms = BenchOutput.Median(times) * 1e3;
            if (!piece.StartsWith(' ')) sum += ms;
            Console.WriteLine($"  {piece,-44} {ms,8:F4}");
        }
        Console.WriteLine($"  {"sum of the pieces",-44} {sum,8:F4}");
        BenchOutput.Row(new()
        {
            ["bench"] = "compiled_step", ["model"] = name, ["batch"] = batch,
            ["eager_ms_median"] = BenchOutput.Median(eager) * 1e3, ["compiled_ms_median"] = BenchOutput.Median(graph) * 1e3,
            ["speedup_median"] = BenchOutput.Median(ratios), ["pieces_ms"] = sum, ["rounds"] = rounds, ["clock"] = "thread-cpu",
        });
        return 0;
    }

    // The generated step's calls, one piece each; a name indented by a space is a part of the piece above it (not summed).
    static List<(string Name, Action Body)> Pieces(string name, Module compiled, Tensor x, Tensor y, CrossEntropyLoss loss, Optimizer optimizer)
    {
        var pieces = new List<(string, Action)>();
        var logits = Tensor.Randn(x.Sizes[0], 10);
        logits.RequiresGrad = true;
        pieces.Add(("loss forward + backward (eager, outside the graph)", () =>
        {
            logits.Grad = null;
            loss.Forward(logits, y).Backward();
        }));
        var g = Tensor.Randn(x.Sizes[0], 10);
        if (name == "mlp")
        {
            var m = (CompiledModels.Mlp)compiled;
            var (fc1, fc2) = (Child<Linear>(m, "fc1"), Child<Linear>(m, "fc2"));
            var h = Tensor.Empty(x.Sizes[0], 128);
            var hGrad = Tensor.Empty(x.Sizes[0], 128);
            var output = Tensor.Empty(x.Sizes[0], 10);
            pieces.Add(("fc1: Linear + ReLU [64, 784] x [784, 128]", () => GraphOps.Linear(x, fc1.Weight, fc1.Bias, FusedActivation.Relu, h)));
            pieces.Add(("fc2: Linear [64, 128] x [128, 10]", () => GraphOps.Linear(h, fc2.Weight, fc2.Bias, FusedActivation.None, output)));
            pieces.Add(("fc2 backward (input, weight, bias)", () =>
                GraphOps.LinearBackward(g, h, fc2.Weight, hGrad, GraphOps.NewGradient(fc2.Weight), GraphOps.NewGradient(fc2.Bias!))));
            pieces.Add(("ReLU backward", () => GraphOps.ReluBackward(hGrad, h, hGrad)));
            pieces.Add(("fc1 backward (weight, bias)", () =>
                GraphOps.LinearBackward(hGrad, x, fc1.Weight, null, GraphOps.NewGradient(fc1.Weight), GraphOps.NewGradient(fc1.Bias!))));
        }
        else
        {
            var m = (CompiledModels.Cnn)compiled;
            var (conv1, pool, conv2, fc) = (Child<Conv2d>(m, "conv1"), Child<MaxPool2d>(m, "pool"), Child<Conv2d>(m, "conv2"), Child<Linear>(m, "fc"));
            var plan1 = GraphOps.PlanConv2d(x.Sizes, conv1);
            var pool1 = GraphOps.PlanMaxPool2d(plan1.OutputSizes, pool);
            var plan2 = GraphOps.PlanConv2d(pool1.OutputSizes, conv2);
            var pool2 = GraphOps.PlanMaxPool2d(plan2.OutputSizes, pool);
            var p1 = Tensor.Empty(pool1.OutputSizes);
            var p1Grad = Tensor.Empty(pool1.OutputSizes);
            var i1 = new int[pool1.IndexCount];
            var p2 = Tensor.Empty(pool2.OutputSizes);
            var p2Grad = Tensor.Empty(pool2.OutputSizes);
            var i2 = new int[pool2.IndexCount];
            var flat = p2.View(x.Sizes[0], -1);
            var flatGrad = Tensor.Empty(flat.Sizes);
            var output = Tensor.Empty(x.Sizes[0], 10);
            pieces.Add(("conv1 + ReLU + pool", () => GraphOps.Conv2dReluMaxPool(plan1, pool1, x, conv1.Weight, conv1.Bias, p1, i1, null)));
            pieces.Add((" the same by im2col + GEMM (no direct loop)", () =>
            {
                Kernels.Convolution.ConvolutionKernel.DirectEnabled = false;
                GraphOps.Conv2dReluMaxPool(plan1, pool1, x, conv1.Weight, conv1.Bias, p1, i1, null);
                Kernels.Convolution.ConvolutionKernel.DirectEnabled = true;
            }));
            pieces.Add(("conv2 + ReLU + pool", () => GraphOps.Conv2dReluMaxPool(plan2, pool2, p1, conv2.Weight, conv2.Bias, p2, i2, null)));
            pieces.Add(("fc: Linear [64, 1568] x [1568, 10]", () => GraphOps.Linear(flat, fc.Weight, fc.Bias, FusedActivation.None, output)));
            pieces.Add(("fc backward (input, weight, bias)", () =>
                GraphOps.LinearBackward(g, flat, fc.Weight, flatGrad, GraphOps.NewGradient(fc.Weight), GraphOps.NewGradient(fc.Bias!))));
            pieces.Add(("flatten's gradient copy", () => GraphOps.Copy(flatGrad, p2Grad)));
            pieces.Add(("conv2 + ReLU + pool backward (input, weight, bias)", () =>
                GraphOps.Conv2dReluMaxPoolBackward(plan2, pool2, p2Grad, p1, conv2.Weight, p2, i2, p1Grad,
                    GraphOps.NewGradient(conv2.Weight), GraphOps.NewGradient(conv2.Bias!), null, null)));
            pieces.Add(("conv1 + ReLU + pool backward (weight, bias)", () =>
                GraphOps.Conv2dReluMaxPoolBackward(plan1, pool1, p1Grad, x, conv1.Weight, p1, i1, null,
                    GraphOps.NewGradient(conv1.Weight), GraphOps.NewGradient(conv1.Bias!), null, null)));
        }
        pieces.Add(("zero_grad + SGD step", () =>
        {
            optimizer.ZeroGrad();
            foreach (var p in compiled.Parameters()) p.Grad = Tensor.ZerosLike(p);
            optimizer.Step();
        }));
        pieces.Add((" of which the gradients' zeros", () =>
        {
            foreach (var p in compiled.Parameters()) p.Grad = Tensor.ZerosLike(p);
        }));
        return pieces;
    }

    static T Child<T>(Module module, string path) where T : Module =>
        (T)module.NamedModules().First(entry => entry.Name == path).Module;

    static double Time(Action body, int calls)
    {
        double start = CpuClock.ThreadSeconds();
        for (int i = 0; i < calls; i++) body();
        return (CpuClock.ThreadSeconds() - start) / calls;
    }
}
