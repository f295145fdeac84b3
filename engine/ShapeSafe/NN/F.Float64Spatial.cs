using ShapeSafe.Kernels.Padding;
using ShapeSafe.Kernels.Resampling;

namespace ShapeSafe.NN;

// Float64 paths of the spatial layers a UNet uses besides the convolutions and pools (those are on Tensor): batch
// norm, interpolation and padding. As in F.Float64.cs, each Float32 entry point takes these only for a Float64
// input, after its shared checks, so its float kernels stay as they were.
public static partial class F
{
    /// <summary>
    /// Float64 batch norm over checked operands ([N, C, *] and per-channel [C] statistics and parameters, all Float64),
    /// as ATen's CPU kernel for double: the batch's mean and biased variance <c>Σ(x - mean)² / (N·S)</c> per channel in
    /// training (updating the running statistics in place with the unbiased variance), the running ones in eval,
    /// <c>invStd = 1 / sqrt(var + eps)</c>. Records "NativeBatchNormBackward" with the closed-form gradients of
    /// <see cref="Kernels.Normalization.BatchNormKernel.Backward"/>, in double.
    /// </summary>
    static Tensor BatchNormFloat64(Tensor input, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, double momentum, double eps, int n, int c, int s)
    {
        const string op = "BatchNorm";
        var x = input.Detach().Contiguous();
        var xs = x.DoubleData;
        long count = (long)n * s;
        var mean = new double[c];
        var invStd = new double[c];
        if (training)
        {
            if (count <= 1)
                throw new ShapeException(op, $"Expected more than 1 value per channel when training, got input size {Rules.Format(input.Sizes)}");
            var variance = new double[c];
            for (int ch = 0; ch < c; ch++)
            {
                double sum = 0;
                for (int b = 0; b < n; b++)
                {
                    int start = x.Offset + (b * c + ch) * s;
                    for (int i = 0; i < s; i++) sum += xs[start + i];
                }
                double m = sum / count, squares = 0;
                for (int b = 0; b < n; b++)
                {
                    int start = x.Offset + (b * c + ch) * s;
                    for (int i = 0; i < s; i++)
                    {
                        double centered = xs[start + i] - m;
                        squares += centered * centered;
                    }
                }
                mean[ch] = m;
                variance[ch] = squares / count;
                invStd[ch] = 1.0 / Math.Sqrt(variance[ch] + eps);
            }
            using (Autograd.NoGrad())
            {
                // running = momentum·batch + (1 - momentum)·running, with the unbiased variance.
                if (runningMean is not null)
                {
                    var rm = runningMean.ToDoubleArray();
                    for (int ch = 0; ch < c; ch++) rm[ch] = momentum * mean[ch] + (1 - momentum) * rm[ch];
                    runningMean.CopyFrom(Tensor.FromArray(rm, c));
                }
                if (runningVar is not null)
                {
                    var rv = runningVar.ToDoubleArray();
                    for (int ch = 0; ch < c; ch++) rv[ch] = momentum * (variance[ch] * count / (count - 1)) + (1 - momentum) * rv[ch];
                    runningVar.CopyFrom(Tensor.FromArray(rv, c));
                }
            }
        }
        else
        {
            if (runningMean is null || runningVar is null)
                throw new ArgumentException($"{op}: running_mean and running_var must be given when not training (input {Rules.Format(input.Sizes)})");
            var rm = runningMean.ToDoubleArray();
            var rv = runningVar.ToDoubleArray();
            for (int ch = 0; ch < c; ch++)
            {
                mean[ch] = rm[ch];
                invStd[ch] = 1.0 / Math.Sqrt(rv[ch] + eps);
            }
        }

        var w = weight?.ToDoubleArray();
        var bs = bias?.ToDoubleArray();
        var y = Tensor.Uninitialized(DType.Float64, (int[])input.Sizes.Clone());
        var ys = y.DoubleData;
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
            {
                int block = (b * c + ch) * s;
                double m = mean[ch], scale = invStd[ch] * (w?[ch] ?? 1.0), shift = bs?[ch] ?? 0.0;
                for (int i = 0; i < s; i++) ys[block + i] = (xs[x.Offset + block + i] - m) * scale + shift;
            }

        bool needX = input.RequiresGrad, needW = weight?.RequiresGrad == true, needB = bias?.RequiresGrad == true;
        if (!(needX || needW || needB) || !Autograd.IsGradEnabled) return y;
        return y.Recorded("NativeBatchNormBackward", new Tensor?[] { input, weight, bias }, g =>
        {
            var gc = g.Contiguous();
            var gs = gc.DoubleData;
            var gradInput = needX ? Tensor.Uninitialized(DType.Float64, (int[])x.Sizes.Clone()) : null;
            var gradWeight = needW ? new double[c] : null;
            var gradBias = needB ? new double[c] : null;
            for (int ch = 0; ch < c; ch++)
            {
                double m = mean[ch], inv = invStd[ch], sumG = 0, sumGX = 0;
                for (int b = 0; b < n; b++)
                {
                    int block = (b * c + ch) * s;
                    for (int i = 0; i < s; i++)
                    {
                        double gi = gs[gc.Offset + block + i];
                        sumG += gi;
                        sumGX += gi * (xs[x.Offset + block + i] - m);
                    }
                }
                // Σ g·x̂ = invstd·Σ g·(x - mean).
                if (gradWeight is not null) gradWeight[ch] = sumGX * inv;
                if (gradBias is not null) gradBias[ch] = sumG;
                if (gradInput is null) continue;
                double outScale = inv * (w?[ch] ?? 1.0);
                // Training: dx = (g - mean(g) - (x - mean)·invstd²·mean(g·(x - mean)))·invstd·γ; eval: g·invstd·γ.
                double gradMean = training ? sumG / count : 0.0;
                double projection = training ? sumGX / count * inv * inv : 0.0;
                var gx = gradInput.DoubleData;
                for (int b = 0; b < n; b++)
                {
                    int block = (b * c + ch) * s;
                    for (int i = 0; i < s; i++)
                        gx[block + i] = (gs[gc.Offset + block + i] - gradMean - (xs[x.Offset + block + i] - m) * projection) * outScale;
                }
            }
            return new[]
            {
                gradInput,
                gradWeight is null ? null : Tensor.FromArray(gradWeight, c),
                gradBias is null ? null : Tensor.FromArray(gradBias, c),
            };
        });
    }

    /// <summary>Float64 <c>F.interpolate</c> of a checked [N, C, H, W] input to <paramref name="outShape"/>; records the Float32 path's node names.</summary>
    static Tensor InterpolateFloat64Path(Tensor input, int[] outShape, bool bilinear, bool alignCorners, (double Height, double Width)? scaleFactor)
    {
        var kernel = InterpolateFloat64.Create(outShape[0] * outShape[1], input.Sizes[2], input.Sizes[3], outShape[2], outShape[3], bilinear,
            alignCorners, scaleFactor?.Height, scaleFactor?.Width);
        var x = input.Detach().Contiguous();
        var result = Tensor.Uninitialized(DType.Float64, outShape);
        kernel.Forward(x.DoubleData, x.Offset, result.DoubleData);
        if (!Tensor.MustRecord(input)) return result;
        var sizes = (int[])input.Sizes.Clone();
        return result.Recorded(bilinear ? "UpsampleBilinear2DBackward" : "UpsampleNearest2DBackward", new Tensor?[] { input }, g =>
        {
            var gc = g.Contiguous();
            var gradInput = Tensor.Zeros(sizes, DType.Float64);
            kernel.Backward(gc.DoubleData, gc.Offset, gradInput.DoubleData);
            return new Tensor?[] { gradInput };
        });
    }

    /// <summary>The gradient of a Float64 <see cref="Pad"/>: each output gradient added at the input coordinate it was read from.</summary>
    static Tensor PadGradientFloat64(Tensor gradOutput, int[] inputSizes, PadKernel kernel)
    {
        var g = gradOutput.Contiguous();
        var gradInput = Tensor.Zeros(inputSizes, DType.Float64);
        kernel.Backward(g.DoubleData, g.Offset, gradInput.DoubleData);
        return gradInput;
    }
}
