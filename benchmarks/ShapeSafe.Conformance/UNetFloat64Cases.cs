using ShapeSafe.Conformance.Models;
using TorchSharp;
using S = ShapeSafe;
using T = TorchSharp.torch;

namespace ShapeSafe.Conformance;

/// <summary>
/// The UNet of <see cref="ModelCases"/> (the same seeded weights, batch norms spread, inputs and cotangent) run four
/// ways: ShapeSafe and LibTorch each in Float32 and in Float64. The float32 weights, inputs and cotangent widen to
/// double exactly, so the four runs compute one function of the same numbers; the Float64 pair shows whether the two
/// libraries compute the same function, and each library's float32 run against LibTorch's Float64 one shows how far
/// float32 rounding alone takes it. Measured as <see cref="ModelCases"/>'s columns: max |a − b| / max |b| per tensor,
/// worst over the output (or the input's and every parameter's gradient).
/// </summary>
static class UNetFloat64Cases
{
    // Double sums of up to 9216 products in another order than LibTorch's, through 23 convolutions and 18 batch
    // norms: ~1e-13 of the scale. 1e-9 still catches any difference of formula (float32's rounding is 1e-7).
    const double Float64Tolerance = 1e-9;

    // The float32-against-Float64 rows measure rounding, not agreement: they fail only past the 5e-2 the Float32
    // 64×64 training cases are held to, so a regression that makes either library's float32 much worse still shows.
    const double RoundingTolerance = 5e-2;

    public static IEnumerable<Case> All()
    {
        foreach (var (train, size, seed, bilinear) in new[]
        {
            (true, 64, 5, false), (true, 64, 8, false), (true, 63, 5, false), (false, 64, 5, false), (false, 63, 5, false),
            (true, 63, 5, true), (false, 63, 5, true),
        })
        {
            string name = $"unet{(bilinear ? " bilinear" : "")} {(train ? "train" : "eval")} [1, 3, {size}, {size}]{(seed == 8 ? " input 2" : "")}";
            var runs = new Lazy<Runs>(() => RunAll(train, [1, 3, size, size], seed, bilinear));
            yield return new Case { Name = name + " Float64", Tolerance = Float64Tolerance, Body = () => Compare(runs.Value.Ours64, runs.Value.Theirs64, train, Float64Tolerance) };
            yield return new Case { Name = name + " LibTorch f32 vs f64", Tolerance = RoundingTolerance, Body = () => Compare(runs.Value.Theirs32, runs.Value.Theirs64, train, RoundingTolerance) };
            yield return new Case { Name = name + " ShapeSafe f32 vs LibTorch f64", Tolerance = RoundingTolerance, Body = () => Compare(runs.Value.Ours32, runs.Value.Theirs64, train, RoundingTolerance) };
        }
        yield return Kinks(5);
        yield return Kinks(8);
    }

    /// <summary>
    /// The inputs of every ReLU of the 64×64 UNet in training mode, for each library's float32 chain and ShapeSafe's
    /// Float64 chain against LibTorch's Float64 chain (each side runs its own chain from the same input): how many
    /// elements float32 puts on the other side of the kink from the double-precision value, and how near zero they
    /// lie. Each such element switches its gradient on or off. Fails if Float64 flips any, or a float32 flip lies
    /// beyond rounding (1e-5 of the scale) of zero.
    /// </summary>
    static Case Kinks(int inputSeed) => new()
    {
        Name = $"unet train [1, 3, 64, 64]{(inputSeed == 8 ? " input 2" : "")} ReLU inputs vs LibTorch f64",
        Tolerance = RoundingTolerance,
        NoGrad = true,
        Body = () =>
        {
            int[] shape = [1, 3, 64, 64];
            T.manual_seed(12);
            var seeded = new TorchUNet(3, 2, bilinear: false);
            ModelCases.SpreadNorms(seeded);
            var state = seeded.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
            var data = ModelCases.Draw(new System.Random(inputSeed), shape.Aggregate(1, (a, b) => a * b));
            var reference = TheirReluInputs(state, T.ScalarType.Float64, shape, data);
            var notes = new List<string>();
            bool bad = false;
            double worstScale = 0;
            foreach (var (side, inputs) in new[]
            {
                ("LibTorch f32", TheirReluInputs(state, T.ScalarType.Float32, shape, data)),
                ("ShapeSafe f32", OurReluInputs(state, S.DType.Float32, shape, data)),
                ("ShapeSafe f64", OurReluInputs(state, S.DType.Float64, shape, data)),
            })
            {
                int flips = 0, total = 0;
                double worst = 0, error = 0;
                var where = new List<string>();
                for (int t = 0; t < reference.Relu.Count; t++)
                {
                    var (a, b) = (inputs.Relu[t].Values, reference.Relu[t].Values);
                    double scale = b.Max(Math.Abs);
                    error = Math.Max(error, Scale(a, b));
                    total += b.Length;
                    for (int k = 0; k < b.Length; k++)
                    {
                        if (a[k] > 0 == b[k] > 0) continue;
                        flips++;
                        worst = Math.Max(worst, (Math.Abs(a[k]) + Math.Abs(b[k])) / scale);
                        if (where.Count < 3) where.Add($"{reference.Relu[t].Where}: {a[k]:G3} vs {b[k]:G3}");
                    }
                }
                // The max pools' argmax is the other kink: a window whose two largest values swap order routes
                // that output's gradient to another element. The UNet's pools are 2×2, stride 2, over [1, C, H, W].
                int swaps = 0, windows = 0, level = 0;
                double closest = 0;
                foreach (var (a, b) in inputs.Pool.Zip(reference.Pool))
                {
                    int size = 64 >> level++, planes = b.Length / (size * size);
                    string stage = $"down{level}";
                    double scale = b.Max(Math.Abs);
                    for (int p = 0; p < planes; p++)
                        for (int i = 0; i + 1 < size; i += 2)
                            for (int j = 0; j + 1 < size; j += 2)
                            {
                                windows++;
                                int[] at = [p * size * size + i * size + j, p * size * size + i * size + j + 1, p * size * size + (i + 1) * size + j, p * size * size + (i + 1) * size + j + 1];
                                int ai = at.MaxBy(k => a[k]), bi = at.MaxBy(k => b[k]);
                                if (ai == bi) continue;
                                swaps++;
                                if (where.Count < 3) where.Add($"{stage}.maxpool_conv.0 window at {at[0]}");
                                closest = Math.Max(closest, Math.Abs(b[ai] - b[bi]) / scale);
                            }
                }
                if (side != "ShapeSafe f64") worstScale = Math.Max(worstScale, error);
                if (side == "ShapeSafe f64" ? flips + swaps > 0 : worst > 1e-5 || closest > 1e-5) bad = true;
                notes.Add($"{side}: {flips} of {total:N0} ReLU inputs differ in sign{(flips > 0 ? $", within {worst:0.0e+0} of the scale of zero" : "")} (values {error:0.0e+0}), " +
                    $"{swaps} of {windows:N0} max-pool windows pick another element{(swaps > 0 ? $", their values within {closest:0.0e+0} of the scale" : "")}" +
                    (where.Count > 0 ? $" ({string.Join("; ", where)})" : ""));
            }
            return new Result(worstScale, double.NaN, string.Join("; ", notes) + (bad ? "; MISMATCH a sign differs beyond rounding" : ""));
        },
    };

    // The UNet's forward, module by module, keeping the input of each DoubleConv's two ReLUs (positions 2 and 5).
    static (List<(string Where, double[] Values)> Relu, List<double[]> Pool) ReluInputs<TTensor>(Func<string, TTensor, TTensor> apply, Func<TTensor, double[]> wide,
        Func<TTensor, TTensor, TTensor> upAndCat, TTensor input)
    {
        var kept = new List<(string Where, double[] Values)>();
        var pooled = new List<double[]>();
        TTensor Double(string path, TTensor x)
        {
            for (int i = 0; i < 6; i++)
            {
                if (i is 2 or 5) kept.Add(($"{path}.{i - 1}", wide(x)));
                x = apply($"{path}.{i}", x);
            }
            return x;
        }
        TTensor Down(string path, TTensor x)
        {
            pooled.Add(wide(x));
            return Double($"{path}.maxpool_conv.1.double_conv", apply($"{path}.maxpool_conv.0", x));
        }
        TTensor Up(string path, TTensor deeper, TTensor skip) => Double($"{path}.conv.double_conv", upAndCat(apply($"{path}.up", deeper), skip));
        var x1 = Double("inc.double_conv", input);
        var x2 = Down("down1", x1);
        var x3 = Down("down2", x2);
        var x4 = Down("down3", x3);
        Up("up4", Up("up3", Up("up2", Up("up1", Down("down4", x4), x4), x3), x2), x1);
        return (kept, pooled);
    }

    static (List<(string Where, double[] Values)> Relu, List<double[]> Pool) OurReluInputs(Dictionary<string, T.Tensor> state, S.DType dtype, int[] shape, float[] data)
    {
        var model = new UNet(3, 2, bilinear: false);
        model.LoadStateDict(ModelCases.ToOurs(state));
        model.To(dtype);
        model.Train(true);
        using var _ = S.Autograd.NoGrad();
        return ReluInputs<S.Tensor>(
            (path, x) => ((S.NN.ITensorModule)model.GetSubmodule(path)).Forward(x),
            x => x.ToDoubleArray(),
            (up, skip) =>
            {
                int dy = skip.Shape[2] - up.Shape[2], dx = skip.Shape[3] - up.Shape[3];
                return S.Tensor.Cat([skip, S.NN.F.Pad(up, [dx / 2, dx - dx / 2, dy / 2, dy - dy / 2])], 1);
            },
            S.Tensor.FromArray((float[])data.Clone(), shape).ToDType(dtype));
    }

    static (List<(string Where, double[] Values)> Relu, List<double[]> Pool) TheirReluInputs(Dictionary<string, T.Tensor> state, T.ScalarType dtype, int[] shape, float[] data)
    {
        var model = new TorchUNet(3, 2, bilinear: false);
        model.load_state_dict(state);
        model.to(dtype);
        model.train(true);
        using var _ = T.no_grad();
        T.nn.Module Child(T.nn.Module m, string n) => m.named_children().First(c => c.name == n).module;
        return ReluInputs<T.Tensor>(
            (path, x) => ((T.nn.Module<T.Tensor, T.Tensor>)path.Split('.').Aggregate((T.nn.Module)model, Child)).forward(x),
            x => x.contiguous().to_type(T.ScalarType.Float64).data<double>().ToArray(),
            (up, skip) =>
            {
                long dy = skip.shape[2] - up.shape[2], dx = skip.shape[3] - up.shape[3];
                return T.cat(new[] { skip, TorchSharp.torch.nn.functional.pad(up, new long[] { dx / 2, dx - dx / 2, dy / 2, dy - dy / 2 }) }, 1);
            },
            T.tensor(data, shape.Select(d => (long)d).ToArray()).to_type(dtype));
    }

    /// <summary>What one run produced, widened to double: the output, the gradients by name ("input" and the state-dict names), the running statistics after the step.</summary>
    sealed record Run(double[] Output, Dictionary<string, double[]> Gradients, Dictionary<string, double[]> Statistics);

    sealed record Runs(Run Ours32, Run Ours64, Run Theirs32, Run Theirs64);

    static Runs RunAll(bool train, int[] shape, int inputSeed, bool bilinear)
    {
        // ModelCases' UNet pair: LibTorch's seeded weights, its batch norms spread, the state dict kept as it is now.
        T.manual_seed(12);
        var seeded = new TorchUNet(3, 2, bilinear);
        ModelCases.SpreadNorms(seeded);
        var state = seeded.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var data = ModelCases.Draw(new System.Random(inputSeed), shape.Aggregate(1, (a, b) => a * b));
        int outputs = shape[0] * 2 * shape[2] * shape[3];
        var v = ModelCases.Draw(new System.Random(6), outputs);
        return new Runs(
            Ours(state, S.DType.Float32, train, shape, data, v, bilinear),
            Ours(state, S.DType.Float64, train, shape, data, v, bilinear),
            Theirs(state, T.ScalarType.Float32, train, shape, data, v, bilinear),
            Theirs(state, T.ScalarType.Float64, train, shape, data, v, bilinear));
    }

    static Run Ours(Dictionary<string, T.Tensor> state, S.DType dtype, bool train, int[] shape, float[] data, float[] v, bool bilinear)
    {
        var model = new UNet(3, 2, bilinear);
        model.LoadStateDict(ModelCases.ToOurs(state));
        model.To(dtype);
        model.Train(train);
        var x = S.Tensor.FromArray((float[])data.Clone(), shape).ToDType(dtype);
        x.RequiresGrad = true;
        var y = model.Forward(x);
        if (y.DType != dtype) throw new InvalidOperationException($"ShapeSafe's UNet gave {y.DType} for a {dtype} input");
        (y * S.Tensor.FromArray((float[])v.Clone(), y.Shape.ToArray()).ToDType(dtype)).Sum().Backward();
        var gradients = new Dictionary<string, double[]> { ["input"] = x.Grad!.ToDoubleArray() };
        foreach (var (name, p) in model.NamedParameters())
            gradients[name] = p.Grad?.ToDoubleArray() ?? throw new InvalidOperationException($"ShapeSafe: no gradient for {name}");
        var statistics = model.NamedBuffers().Where(b => b.Buffer.DType == dtype).ToDictionary(b => b.Name, b => b.Buffer.ToDoubleArray());
        return new Run(y.ToDoubleArray(), gradients, statistics);
    }

    static Run Theirs(Dictionary<string, T.Tensor> state, T.ScalarType dtype, bool train, int[] shape, float[] data, float[] v, bool bilinear)
    {
        var model = new TorchUNet(3, 2, bilinear);
        model.load_state_dict(state);
        model.to(dtype);
        model.train(train);
        var x = T.tensor(data, shape.Select(d => (long)d).ToArray()).to_type(dtype).detach().requires_grad_(true);
        var y = model.forward(x);
        (y * T.tensor(v, y.shape).to_type(dtype)).sum().backward();
        double[] Wide(T.Tensor t) => t.detach().contiguous().to_type(T.ScalarType.Float64).data<double>().ToArray();
        var gradients = new Dictionary<string, double[]> { ["input"] = Wide(x.grad!) };
        foreach (var (name, p) in model.named_parameters())
            gradients[name] = Wide(p.grad ?? throw new InvalidOperationException($"LibTorch: no gradient for {name}"));
        var statistics = model.named_buffers().Where(b => b.buffer.dtype == dtype).ToDictionary(b => b.name, b => Wide(b.buffer));
        return new Run(Wide(y), gradients, statistics);
    }

    static Result Compare(Run a, Run b, bool train, double statisticsLimit)
    {
        double output = Scale(a.Output, b.Output);
        double gradient = 0, statistics = 0;
        string worst = "";
        foreach (var (name, reference) in b.Gradients)
        {
            if (!a.Gradients.TryGetValue(name, out var mine))
                return new Result(output, double.PositiveInfinity, $"MISMATCH no gradient for {name} on one side");
            double e = Scale(mine, reference);
            if (e > gradient) (gradient, worst) = (e, name);
        }
        foreach (var (name, reference) in b.Statistics)
            statistics = Math.Max(statistics, a.Statistics.TryGetValue(name, out var mine) ? Scale(mine, reference) : double.PositiveInfinity);
        var notes = $"{b.Gradients.Count} gradients, worst {worst}{(train ? $"; running stats {statistics:0.0e+0}" : "")}";
        if (b.Statistics.Count != a.Statistics.Count) notes += "; MISMATCH running statistics on one side only";
        else if (statistics > statisticsLimit) notes += "; MISMATCH running statistics out of tolerance";
        return new Result(output, gradient, notes);
    }

    /// <summary>max |a − b| / max |b|: the error against the tensor's scale (<see cref="ModelCases"/>'s column).</summary>
    static double Scale(double[] a, double[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double scale = 0, worst = 0;
        for (int i = 0; i < b.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(b[i]));
            double d = Math.Abs(a[i] - b[i]);
            worst = Math.Max(worst, double.IsNaN(d) ? double.PositiveInfinity : d);
        }
        return scale == 0 ? worst : worst / scale;
    }
}
