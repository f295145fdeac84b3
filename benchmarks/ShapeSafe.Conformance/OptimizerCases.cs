using TorchSharp;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using S = ShapeSafe;
using T = TorchSharp.torch;

namespace ShapeSafe.Conformance;

/// <summary>
/// The optimizers and gradient clipping against LibTorch, bit for bit, in Float32 and Float64. TorchSharp's own
/// optimizers are C# ports that differ from PyTorch 2.x (Adam's first moment by mul_/add_ instead of lerp_), so
/// LibTorch's side is PyTorch's <c>_single_tensor_sgd</c> / <c>_single_tensor_adam</c> / <c>_single_tensor_rmsprop</c> /
/// <c>_single_tensor_adagrad</c> (the loops torch.optim runs on CPU: foreach is the default only on CUDA) and
/// <c>clip_grad_norm_</c> / <c>clip_grad_value_</c> written with LibTorch's in-place kernels, one call per Python op.
/// </summary>
/// <remarks>
/// Each configuration runs twice. First on two parameters, [37] and [5, 3], with LibTorch's own <c>sqrt</c>: that
/// kernel is oneMKL's <c>vsSqrt</c>/<c>vdSqrt</c> on this machine, which is not correctly rounded (1 ulp off for about
/// 17% of floats and 1.3% of doubles), so a parameter whose update divides by a square root can differ by one ulp in a
/// few elements; the notes count those square roots. Then on 105 parameters of every length from 1 to 100 and
/// 127, 1001, 4097, 30001 and 65537 elements, with the square roots correctly rounded on LibTorch's side (every other
/// op still LibTorch's): parameters and every state tensor must then be equal to the last bit, which shows that
/// each of ATen's vectorized bodies and scalar tails rounds as ShapeSafe does.
/// </remarks>
static class OptimizerCases
{
    static readonly int[][] Shapes = [[37], [5, 3]];
    static readonly int[][] Lengths = [.. Enumerable.Range(1, 100).Select(n => new[] { n }), [127], [1001], [4097], [30001], [65537]];
    const int Steps = 6;

    internal enum Kind { Sgd, Adam, Rmsprop, Adagrad }

    internal sealed record Config(string Name, double Lr, Kind Kind = Kind.Sgd, double Momentum = 0, double Dampening = 0, double WeightDecay = 0,
        bool Nesterov = false, bool Maximize = false, bool Decoupled = false, bool Amsgrad = false,
        (double, double)? Betas = null, double Eps = 1e-8, double Alpha = 0.99, bool Centered = false,
        double LrDecay = 0, double InitialAccumulatorValue = 0);

    internal static readonly Config[] Configs =
    [
        new("Sgd", 0.1),
        new("Sgd momentum 0.9", 0.05, Momentum: 0.9),
        new("Sgd momentum dampening 0.3", 0.05, Momentum: 0.9, Dampening: 0.3),
        new("Sgd nesterov weight decay", 0.05, Momentum: 0.9, WeightDecay: 0.01, Nesterov: true),
        new("Sgd maximize weight decay", 0.05, Momentum: 0.8, Dampening: 0.1, WeightDecay: 0.02, Maximize: true),
        new("Adam", 1e-2, Kind.Adam),
        new("Adam weight decay betas (0.8, 0.99)", 3e-2, Kind.Adam, WeightDecay: 0.1, Betas: (0.8, 0.99), Eps: 1e-6),
        new("Adam amsgrad", 1e-2, Kind.Adam, Amsgrad: true),
        new("Adam maximize amsgrad weight decay", 1e-2, Kind.Adam, WeightDecay: 0.05, Maximize: true, Amsgrad: true),
        new("AdamW", 1e-2, Kind.Adam, WeightDecay: 0.01, Decoupled: true),
        new("AdamW amsgrad beta1 0.6", 2e-2, Kind.Adam, WeightDecay: 0.1, Decoupled: true, Amsgrad: true, Betas: (0.6, 0.999)),
        new("Rmsprop", 1e-2, Kind.Rmsprop),
        new("Rmsprop momentum 0.9 weight decay", 1e-2, Kind.Rmsprop, Momentum: 0.9, WeightDecay: 0.05, Alpha: 0.9),
        new("Rmsprop centered", 1e-2, Kind.Rmsprop, Centered: true, Eps: 1e-6),
        new("Rmsprop centered momentum maximize", 5e-3, Kind.Rmsprop, Momentum: 0.5, Centered: true, Maximize: true, Alpha: 0.8),
        new("Adagrad", 1e-2, Kind.Adagrad, Eps: 1e-10),
        new("Adagrad lr decay weight decay", 5e-2, Kind.Adagrad, WeightDecay: 0.1, LrDecay: 0.3, Eps: 1e-10),
        new("Adagrad initial accumulator maximize", 1e-1, Kind.Adagrad, InitialAccumulatorValue: 0.1, Maximize: true, Eps: 1e-6),
    ];

    public static IEnumerable<Case> All()
    {
        foreach (var dtype in new[] { S.DType.Float64, S.DType.Float32 })
        {
            foreach (var config in Configs)
            {
                var c = config;
                var d = dtype;
                // LibTorch's sqrt (oneMKL) is not correctly rounded: an update through it may land an ulp away, and
                // RMSprop's momentum buffer (the sum of g / avg) carries those ulps at its own scale.
                double tolerance = c.Kind switch { Kind.Sgd => 0, Kind.Rmsprop => 1e-5, _ => 1e-6 };
                yield return new Case { Name = $"{c.Name} {d}", Tolerance = tolerance, Body = () => RunOptimizer(c, d, Shapes, exactSqrt: false) };
                yield return new Case { Name = $"{c.Name} {d} lengths 1-100 and odd, exact sqrt", Tolerance = 0, Body = () => RunOptimizer(c, d, Lengths, exactSqrt: true) };
            }
            var dt = dtype;
            yield return new Case { Name = $"LibTorch sqrt against the correctly rounded root {dt}", Tolerance = 2.3e-16 * (dt == S.DType.Float32 ? 1 << 29 : 1), Body = () => RunSqrt(dt) };
            // Float32 ClipGradNorm sums its squares in double (docs/training.md), not in LibTorch's float order.
            double clipTolerance = dt == S.DType.Float32 ? 1e-6 : 0;
            yield return new Case { Name = $"ClipGradNorm clipping {dt}", Tolerance = clipTolerance, Body = () => RunClipNorm(dt, 1.0) };
            yield return new Case { Name = $"ClipGradNorm within the bound {dt}", Tolerance = clipTolerance, Body = () => RunClipNorm(dt, 100.0) };
            yield return new Case { Name = $"ClipGradValue {dt}", Tolerance = 0, Body = () => RunClipValue(dt, 0.7) };
        }
    }

    static double[] Draw(System.Random rng, int count) => Enumerable.Range(0, count).Select(_ => rng.NextDouble() * 4 - 2).ToArray();

    static int Count(int[] shape) => shape.Aggregate(1, (x, y) => x * y);

    static S.Tensor Ours(double[] values, int[] shape, S.DType dtype) =>
        dtype == S.DType.Float64 ? S.Tensor.FromArray(values, shape) : S.Tensor.FromArray(values.Select(v => (float)v).ToArray(), shape);

    static T.Tensor Theirs(double[] values, int[] shape, S.DType dtype)
    {
        var t = T.tensor(values, shape.Select(s => (long)s).ToArray());
        return dtype == S.DType.Float64 ? t : t.to_type(T.ScalarType.Float32);
    }

    static double[] Values(S.Tensor t) => t.ToDType(S.DType.Float64).ToDoubleArray();

    static double[] Values(T.Tensor t) => t.to_type(T.ScalarType.Float64).data<double>().ToArray();

    /// <summary>Worst relative error over pairs of tensors, and a note counting elements that differ in any bit.</summary>
    static Result Compare(IEnumerable<(string Name, S.Tensor Ours, T.Tensor Theirs)> pairs, string extra = "")
    {
        double worst = 0;
        int differ = 0, total = 0;
        var notes = new List<string>();
        foreach (var (name, ours, theirs) in pairs)
        {
            if (ours.DType.ToString() != theirs.dtype.ToString()) notes.Add($"MISMATCH {name} dtype {ours.DType} vs {theirs.dtype}");
            var a = Values(ours);
            var b = Values(theirs);
            worst = Math.Max(worst, Case.RelativeError(a, b));
            int n = a.Zip(b).Count(p => BitConverter.DoubleToInt64Bits(p.First) != BitConverter.DoubleToInt64Bits(p.Second));
            if (n > 0)
            {
                int first = Enumerable.Range(0, a.Length).First(i => BitConverter.DoubleToInt64Bits(a[i]) != BitConverter.DoubleToInt64Bits(b[i]));
                if (notes.Count < 4) notes.Add($"{name}: {n} of {a.Length} differ, first at {first} (ours {a[first]:R}, LibTorch's {b[first]:R})");
            }
            differ += n;
            total += a.Length;
        }
        notes.Insert(0, differ == 0 ? $"bitwise ({total} elements)" : $"{differ} of {total} elements differ");
        if (extra.Length > 0) notes.Add(extra);
        return new Result(worst, double.NaN, string.Join("; ", notes));
    }

    /// <summary>LibTorch's side of the square roots: its own kernel, or the correctly rounded root of each element.</summary>
    sealed class Roots(bool exact)
    {
        public int Inexact, Total;

        public T.Tensor Sqrt(T.Tensor x)
        {
            var theirs = x.sqrt();
            var rounded = x.dtype == T.ScalarType.Float64
                ? T.tensor(x.data<double>().ToArray().Select(Math.Sqrt).ToArray(), x.shape)
                : T.tensor(x.data<float>().ToArray().Select(MathF.Sqrt).ToArray(), x.shape);
            Total += (int)x.numel();
            Inexact += (int)theirs.ne(rounded).sum().item<long>();
            return exact ? rounded : theirs;
        }
    }

    static Optimizer Create(Config c, Parameter[] ours) => c.Kind switch
    {
        Kind.Adam => c.Decoupled
            ? new AdamW(ours, c.Lr, c.Betas, c.Eps, c.WeightDecay, c.Amsgrad, c.Maximize)
            : new S.Optim.Adam(ours, c.Lr, c.Betas, c.Eps, c.WeightDecay, c.Amsgrad, c.Maximize),
        Kind.Rmsprop => new Rmsprop(ours, c.Lr, c.Alpha, c.Eps, c.WeightDecay, c.Momentum, c.Centered, c.Maximize),
        Kind.Adagrad => new S.Optim.Adagrad(ours, c.Lr, c.LrDecay, c.WeightDecay, c.InitialAccumulatorValue, c.Eps, c.Maximize),
        _ => new Sgd(ours, c.Lr, c.Momentum, c.WeightDecay, c.Nesterov, c.Dampening, c.Maximize),
    };

    /// <summary>LibTorch's side of one configuration: the parameters and state after every step (the goldens record this).</summary>
    internal static (T.Tensor[] Parameters, Dictionary<string, T.Tensor>[] State) TheirRun(string name, S.DType dtype, int[][] shapes,
        double[][] start, double[][][] grads, bool exactSqrt, out int inexactRoots, out int roots)
    {
        var c = Configs.Single(x => x.Name == name);
        var roundings = new Roots(exactSqrt);
        var theirs = shapes.Select((s, i) => Theirs(start[i], s, dtype)).ToArray();
        var state = theirs.Select(_ => new Dictionary<string, T.Tensor>()).ToArray();
        using (T.no_grad())
        {
            if (c.Kind == Kind.Adagrad)
            {
                // Adagrad.__init__ gives every parameter its state.
                for (int i = 0; i < theirs.Length; i++)
                {
                    state[i]["step"] = T.tensor(0.0f);
                    state[i]["sum"] = T.full_like(theirs[i], c.InitialAccumulatorValue);
                }
            }
            for (int k = 0; k < grads.Length; k++)
                for (int i = 0; i < theirs.Length; i++)
                {
                    var g = Theirs(grads[k][i], shapes[i], dtype);
                    switch (c.Kind)
                    {
                        case Kind.Adam: AdamStep(c, theirs[i], g, state[i], roundings); break;
                        case Kind.Rmsprop: RmspropStep(c, theirs[i], g, state[i], roundings); break;
                        case Kind.Adagrad: AdagradStep(c, theirs[i], g, state[i], roundings); break;
                        default: SgdStep(c, theirs[i], g, state[i]); break;
                    }
                }
        }
        (inexactRoots, roots) = (roundings.Inexact, roundings.Total);
        return (theirs, state);
    }

    internal static IEnumerable<string> ConfigNames => Configs.Select(c => c.Name);

    internal static (double[][] Start, double[][][] Grads) Inputs(int[][] shapes, int steps)
    {
        var rng = new System.Random(17);
        var start = shapes.Select(s => Draw(rng, Count(s))).ToArray();
        var grads = Enumerable.Range(0, steps).Select(_ => shapes.Select(s => Draw(rng, Count(s))).ToArray()).ToArray();
        return (start, grads);
    }

    static Result RunOptimizer(Config c, S.DType dtype, int[][] shapes, bool exactSqrt)
    {
        var (start, grads) = Inputs(shapes, Steps);
        var ours = shapes.Select((s, i) => new Parameter(Ours(start[i], s, dtype))).ToArray();
        var optimizer = Create(c, ours);
        for (int k = 0; k < Steps; k++)
        {
            for (int i = 0; i < ours.Length; i++) ours[i].Grad = Ours(grads[k][i], shapes[i], dtype);
            optimizer.Step();
        }

        var (theirs, state) = TheirRun(c.Name, dtype, shapes, start, grads, exactSqrt, out int inexact, out int roots);

        var pairs = new List<(string, S.Tensor, T.Tensor)>();
        for (int i = 0; i < ours.Length; i++)
        {
            pairs.Add(($"param {i}", ours[i], theirs[i]));
            foreach (var (key, value) in optimizer.GetState(ours[i]))
            {
                if (!state[i].TryGetValue(key, out var theirValue))
                    return new Result(double.NaN, double.NaN, $"MISMATCH state '{key}' only on ShapeSafe's side");
                pairs.Add(($"param {i} {key}", value, theirValue));
            }
            if (state[i].Count != optimizer.GetState(ours[i]).Count)
                return new Result(double.NaN, double.NaN, "MISMATCH state entries differ");
        }
        string extra = roots == 0 ? "" : exactSqrt
            ? $"sqrt correctly rounded on LibTorch's side ({inexact} of {roots} of LibTorch's own roots are not)"
            : $"{inexact} of LibTorch's {roots} square roots not correctly rounded";
        return Compare(pairs, extra);
    }

    // torch/optim/sgd.py, _single_tensor_sgd.
    static void SgdStep(Config c, T.Tensor param, T.Tensor grad, Dictionary<string, T.Tensor> state)
    {
        if (c.Maximize) grad = grad.neg();
        if (c.WeightDecay != 0) grad = grad.add(param, alpha: c.WeightDecay);
        if (c.Momentum != 0)
        {
            if (!state.TryGetValue("momentum_buffer", out var buf))
                state["momentum_buffer"] = buf = grad.clone().detach();
            else
                buf.mul_(c.Momentum).add_(grad, alpha: 1 - c.Dampening);
            grad = c.Nesterov ? grad.add(buf, alpha: c.Momentum) : buf;
        }
        param.add_(grad, alpha: -c.Lr);
    }

    // torch/optim/adam.py, _single_tensor_adam (not capturable, not differentiable), with AdamW's decoupled decay.
    static void AdamStep(Config c, T.Tensor param, T.Tensor grad, Dictionary<string, T.Tensor> state, Roots roots)
    {
        var (beta1, beta2) = c.Betas ?? (0.9, 0.999);
        if (c.Maximize) grad = grad.neg();
        if (state.Count == 0)
        {
            state["step"] = T.tensor(0.0f);
            state["exp_avg"] = T.zeros_like(param);
            state["exp_avg_sq"] = T.zeros_like(param);
            if (c.Amsgrad) state["max_exp_avg_sq"] = T.zeros_like(param);
        }
        var stepT = state["step"];
        var expAvg = state["exp_avg"];
        var expAvgSq = state["exp_avg_sq"];
        stepT.add_(1);
        if (c.WeightDecay != 0)
        {
            if (c.Decoupled) param.mul_(1 - c.Lr * c.WeightDecay);
            else grad = grad.add(param, alpha: c.WeightDecay);
        }
        expAvg.lerp_(grad, 1 - beta1);
        expAvgSq.mul_(beta2).addcmul_(grad, grad, value: 1 - beta2);
        double step = stepT.item<float>();
        double biasCorrection1 = 1 - Math.Pow(beta1, step);
        double biasCorrection2 = 1 - Math.Pow(beta2, step);
        double stepSize = c.Lr / biasCorrection1;
        double biasCorrection2Sqrt = Math.Pow(biasCorrection2, 0.5);
        T.Tensor denom;
        if (c.Amsgrad)
        {
            var max = state["max_exp_avg_sq"];
            max.copy_(T.maximum(max, expAvgSq));
            denom = (roots.Sqrt(max) / biasCorrection2Sqrt).add_(c.Eps);
        }
        else
        {
            denom = (roots.Sqrt(expAvgSq) / biasCorrection2Sqrt).add_(c.Eps);
        }
        param.addcdiv_(expAvg, denom, value: -stepSize);
    }

    // torch/optim/rmsprop.py, _single_tensor_rmsprop (not capturable, not differentiable).
    static void RmspropStep(Config c, T.Tensor param, T.Tensor grad, Dictionary<string, T.Tensor> state, Roots roots)
    {
        if (state.Count == 0)
        {
            state["step"] = T.tensor(0.0f);
            state["square_avg"] = T.zeros_like(param);
            if (c.Momentum > 0) state["momentum_buffer"] = T.zeros_like(param);
            if (c.Centered) state["grad_avg"] = T.zeros_like(param);
        }
        if (c.Maximize) grad = grad.neg();
        var squareAvg = state["square_avg"];
        state["step"].add_(1);
        if (c.WeightDecay != 0) grad = grad.add(param, alpha: c.WeightDecay);
        squareAvg.mul_(c.Alpha).addcmul_(grad, grad, value: 1 - c.Alpha);
        T.Tensor avg;
        if (c.Centered)
        {
            var gradAvg = state["grad_avg"];
            gradAvg.lerp_(grad, 1 - c.Alpha);
            avg = roots.Sqrt(squareAvg.addcmul(gradAvg, gradAvg, value: -1));
        }
        else
        {
            avg = roots.Sqrt(squareAvg);
        }
        avg = avg.add_(c.Eps);
        if (c.Momentum > 0)
        {
            var buf = state["momentum_buffer"];
            buf.mul_(c.Momentum).addcdiv_(grad, avg);
            param.add_(buf, alpha: -c.Lr);
        }
        else
        {
            param.addcdiv_(grad, avg, value: -c.Lr);
        }
    }

    // torch/optim/adagrad.py, _single_tensor_adagrad (dense gradients, not differentiable).
    static void AdagradStep(Config c, T.Tensor param, T.Tensor grad, Dictionary<string, T.Tensor> state, Roots roots)
    {
        var stepT = state["step"];
        var sum = state["sum"];
        stepT.add_(1);
        double step = stepT.item<float>();
        if (c.Maximize) grad = grad.neg();
        if (c.WeightDecay != 0) grad = grad.add(param, alpha: c.WeightDecay);
        double clr = c.Lr / (1 + (step - 1) * c.LrDecay);
        sum.addcmul_(grad, grad, value: 1);
        var std = roots.Sqrt(sum).add_(c.Eps);
        param.addcdiv_(grad, std, value: -clr);
    }

    // LibTorch's CPU sqrt (ATen's vml::vsqrt, oneMKL's vsSqrt / vdSqrt in this build) on 200000 values spread over 40
    // binades, against the correctly rounded root (ShapeSafe's, and IEEE sqrt's): how many differ, and by how much.
    static Result RunSqrt(S.DType dtype)
    {
        var rng = new System.Random(3);
        var values = Enumerable.Range(0, 200_000).Select(_ => Math.Exp(rng.NextDouble() * 40 - 20)).ToArray();
        var ours = Ours(values, [values.Length], dtype).Sqrt();
        var theirs = Theirs(values, [values.Length], dtype).sqrt();
        var a = Values(ours);
        var b = Values(theirs);
        long ulps = 0;
        int differ = 0;
        for (int i = 0; i < a.Length; i++)
        {
            long d = dtype == S.DType.Float32
                ? Math.Abs(BitConverter.SingleToInt32Bits((float)a[i]) - BitConverter.SingleToInt32Bits((float)b[i]))
                : Math.Abs(BitConverter.DoubleToInt64Bits(a[i]) - BitConverter.DoubleToInt64Bits(b[i]));
            if (d != 0) differ++;
            ulps = Math.Max(ulps, d);
        }
        return new Result(Case.RelativeError(a, b), double.NaN, $"{differ} of {a.Length} LibTorch roots are not correctly rounded, at most {ulps} ulp off");
    }

    static (S.Tensor[] Ours, Parameter[] Parameters, T.Tensor[] Theirs) Gradients(S.DType dtype)
    {
        var rng = new System.Random(23);
        var values = Shapes.Select(s => Draw(rng, Count(s))).ToArray();
        var parameters = Shapes.Select(s => new Parameter(S.Tensor.Zeros(s, dtype))).ToArray();
        for (int i = 0; i < parameters.Length; i++) parameters[i].Grad = Ours(values[i], Shapes[i], dtype);
        return (parameters.Select(p => p.Grad!).ToArray(), parameters, Shapes.Select((s, i) => Theirs(values[i], s, dtype)).ToArray());
    }

    // torch/nn/utils/clip_grad.py, clip_grad_norm_ (norm_type 2, no foreach kernels on CPU: per-tensor vector_norm).
    static Result RunClipNorm(S.DType dtype, double maxNorm)
    {
        var (ours, parameters, theirs) = Gradients(dtype);
        var total = Utils.ClipGradNorm(parameters, maxNorm);
        T.Tensor theirTotal;
        using (T.no_grad())
        {
            var norms = theirs.Select(g => T.linalg.vector_norm(g, 2)).ToArray();
            theirTotal = T.linalg.vector_norm(T.stack(norms), 2);
            var coefficient = (theirTotal + 1e-6).reciprocal() * maxNorm;
            var clamped = T.clamp(coefficient, max: 1.0);
            foreach (var g in theirs) g.mul_(clamped);
        }
        var pairs = ours.Select((g, i) => ($"gradient {i}", g, theirs[i])).Append(("total norm", total, theirTotal));
        return Compare(pairs, $"total norm {Values(total)[0]:R}");
    }

    // torch/nn/utils/clip_grad.py, clip_grad_value_: clamp_min_(-clip_value) then clamp_max_(clip_value).
    static Result RunClipValue(S.DType dtype, double clipValue)
    {
        var (ours, parameters, theirs) = Gradients(dtype);
        Utils.ClipGradValue(parameters, clipValue);
        using (T.no_grad())
            foreach (var g in theirs) g.clamp_min_(-clipValue).clamp_max_(clipValue);
        return Compare(ours.Select((g, i) => ($"gradient {i}", g, theirs[i])));
    }
}
