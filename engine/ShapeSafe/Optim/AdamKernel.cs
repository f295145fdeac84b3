using System.Runtime.Intrinsics;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Optim;

/// <summary>
/// One Adam/AdamW update of a contiguous parameter in a single pass, with no temporaries: the moments, the
/// denominator and the parameter step of <see cref="Adam"/>'s op-by-op path, element by element, with the same
/// roundings in the same order, so both paths give the same bits. Written here because TensorPrimitives has no
/// optimizer step; the op-by-op path remains for non-contiguous tensors and AMSGrad.
/// </summary>
/// <remarks>
/// Per element, as the ops compute it: p = p·decay (AdamW only); m = fma(c, g − m, m or g) (ATen's lerp);
/// v = v·β2, then v = fma((1 − β2)·g, g, v) (ATen's addcmul); denom = √v / √bc2 + ε; p = p + ((−step)·m) / denom
/// (addcdiv, left to right).
/// </remarks>
internal static class AdamKernel
{
    // Below this many elements a parallel loop costs more than it saves.
    private const int ParallelLimit = 1 << 16;
    private const int Block = 1 << 14;

    /// <summary>The scalars of one step, already rounded to float as the op-by-op path rounds them.</summary>
    public readonly record struct Step(float Decay, float LerpWeight, float Beta2, float OneMinusBeta2,
        float BiasCorrection2Sqrt, float Eps, float NegativeStepSize);

    /// <summary>Updates <paramref name="p"/>, <paramref name="expAvg"/> and <paramref name="expAvgSq"/> in place (all contiguous, same length as <paramref name="grad"/>).</summary>
    public static void Update(Span<float> p, ReadOnlySpan<float> grad, Span<float> expAvg, Span<float> expAvgSq, in Step step)
    {
        if (p.Length != grad.Length || expAvg.Length != p.Length || expAvgSq.Length != p.Length)
            throw new ArgumentException($"Adam: parameter, gradient and state lengths differ ({p.Length}, {grad.Length}, {expAvg.Length}, {expAvgSq.Length})");
        if (p.Length < ParallelLimit || ParallelRuntime.NumThreads < 2)
        {
            UpdateRange(p, grad, expAvg, expAvgSq, step);
            return;
        }
        unsafe
        {
            fixed (float* pp = p, pg = grad, pm = expAvg, pv = expAvgSq)
            {
                var body = new BlockBody(pp, pg, pm, pv, p.Length, step);
                ParallelRuntime.For((p.Length + Block - 1) / Block, ref body);
            }
        }
    }

    private static void UpdateRange(Span<float> p, ReadOnlySpan<float> grad, Span<float> expAvg, Span<float> expAvgSq, in Step s)
    {
        // ATen's lerp: from the start for a small weight, from the end otherwise (exact at weight 1).
        bool fromStart = MathF.Abs(s.LerpWeight) < 0.5f;
        float coefficient = fromStart ? s.LerpWeight : s.LerpWeight - 1f;
        bool decay = s.Decay != 1f;
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var c = Vector256.Create(coefficient);
            var decayV = Vector256.Create(s.Decay);
            var beta2 = Vector256.Create(s.Beta2);
            var oneMinusBeta2 = Vector256.Create(s.OneMinusBeta2);
            var bc2 = Vector256.Create(s.BiasCorrection2Sqrt);
            var eps = Vector256.Create(s.Eps);
            var negativeStep = Vector256.Create(s.NegativeStepSize);
            for (; i <= p.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var g = Vector256.Create(grad[i..]);
                var m = Vector256.Create(expAvg[i..]);
                var v = Vector256.Create(expAvgSq[i..]);
                var w = Vector256.Create(p[i..]);
                if (decay)
                    w *= decayV;
                m = Vector256.FusedMultiplyAdd(c, g - m, fromStart ? m : g);
                v *= beta2;
                v = Vector256.FusedMultiplyAdd(oneMinusBeta2 * g, g, v);
                var denom = Vector256.Sqrt(v) / bc2 + eps;
                w += negativeStep * m / denom;
                m.CopyTo(expAvg[i..]);
                v.CopyTo(expAvgSq[i..]);
                w.CopyTo(p[i..]);
            }
        }
        for (; i < p.Length; i++)
        {
            float g = grad[i], m = expAvg[i], v = expAvgSq[i], w = p[i];
            if (decay)
                w *= s.Decay;
            m = MathF.FusedMultiplyAdd(coefficient, g - m, fromStart ? m : g);
            v *= s.Beta2;
            v = MathF.FusedMultiplyAdd(s.OneMinusBeta2 * g, g, v);
            float denom = MathF.Sqrt(v) / s.BiasCorrection2Sqrt + s.Eps;
            w += s.NegativeStepSize * m / denom;
            expAvg[i] = m;
            expAvgSq[i] = v;
            p[i] = w;
        }
    }

    private readonly unsafe struct BlockBody(float* p, float* grad, float* expAvg, float* expAvgSq, int length, Step step) : IParallelBody
    {
        public void Invoke(int block)
        {
            int start = block * Block, count = Math.Min(Block, length - start);
            UpdateRange(new Span<float>(p + start, count), new ReadOnlySpan<float>(grad + start, count),
                new Span<float>(expAvg + start, count), new Span<float>(expAvgSq + start, count), step);
        }
    }
}
