using ShapeSafe.CompiledGraphs;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Dropout;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Reduction;
using ShapeSafe.NN;

namespace ShapeSafe.Benchmarks;

internal static partial class TransformerBenchmark
{
    /// <summary>
    /// Where the compiled layer spends its time (<c>transformer --compiled-breakdown</c>): the whole compiled step,
    /// the composite step's forward and backward called directly (the difference is the generated code and
    /// autograd around it), and each piece of the composite step run alone on its state (post-norm, training mode,
    /// batch-first input), in thread CPU milliseconds per call. Each piece makes the calls the composite step makes,
    /// on the buffers it makes them on.
    /// </summary>
    static void CompiledBreakdown(Encoder model, Func<Tensor, Tensor> compiled, Tensor x, Tensor gradient, int steps)
    {
        var layer = model.Layer;
        var attn = layer.SelfAttn;
        var plan = GraphOps.PlanTransformerEncoderLayer(x.Sizes, layer);
        var s = new EncoderLayerState(plan);
        var a = s.Attention;
        var input = x.Detach().Clone();
        var output = Tensor.Uninitialized(DType.Float32, plan.OutputSizes);
        var gradInput = Tensor.Uninitialized(DType.Float32, plan.OutputSizes);
        var grads = layer.Parameters().Select(p => Tensor.Uninitialized(DType.Float32, (int[])p.Sizes.Clone())).ToArray();
        int n = x.Sizes[0], l = x.Sizes[1], e = x.Sizes[2], headDim = attn.HeadDim, heads = attn.NumHeads * n;
        int rowStride = n * e, square = l * l;
        var (wq, wk, wv) = Chunks(attn.InProjWeight!);
        var (bq, bk, bv) = Chunks(attn.InProjBias!);
        float scale = (float)(1.0 / Math.Sqrt(headDim));
        var scratch = Tensor.Uninitialized(DType.Float32, new[] { 256, 1024 });

        void Forward() => GraphOps.TransformerEncoderLayer(plan, layer, input, output, s);
        void Backward() => GraphOps.TransformerEncoderLayerBackward(plan, layer, s, gradient, input, gradInput, false,
            grads[0], grads[1], grads[2], grads[3], grads[4], grads[5], grads[6], grads[7], grads[8], grads[9], grads[10], grads[11]);
        void Step()
        {
            model.ZeroGrad();
            x.Grad = null;
            compiled(x).Backward(gradient);
        }
        Forward();
        Backward();

        // The whole step against the composite step alone, in alternating rounds (the medians), so that the gap
        // between them is not the drift of the machine's load between two rows.
        var whole = new List<double>();
        var composite = new List<double>();
        for (int i = 0; i < 5; i++) { Step(); Forward(); Backward(); }
        for (int r = 0; r < 7; r++)
        {
            whole.Add(Time(Step, Math.Max(1, steps / 7)));
            composite.Add(Time(() => { Forward(); Backward(); }, Math.Max(1, steps / 7)));
        }
        Console.WriteLine($"  {"whole step / composite, alternated",-40} {BenchOutput.Median(whole) * 1e3,8:F3} ms {BenchOutput.Median(composite) * 1e3,8:F3} ms (medians of 7 rounds)");

        var pieces = new (string Name, Action Run)[]
        {
            ("whole compiled step", Step),
            ("composite forward + backward", () => { Forward(); Backward(); }),
            ("composite forward", Forward),
            ("composite backward", Backward),
            ("fwd attn: seq-first swap", () => Swap(input, n, l, e, a.SeqFirst!)),
            ("fwd attn: in-proj 3 GEMMs", () =>
            {
                LinearGradient.ForwardInto(a.SeqFirst!, wq, bq, GemmActivation.None, a.Query);
                LinearGradient.ForwardInto(a.SeqFirst!, wk, bk, GemmActivation.None, a.Key);
                LinearGradient.ForwardInto(a.SeqFirst!, wv, bv, GemmActivation.None, a.Value);
            }),
            ("fwd attn: q·kᵀ + scale", () =>
            {
                GemmKernel.SgemmBatched(heads, l, l, headDim, 1f, a.Query.FloatData, 0, headDim, rowStride, 1,
                    a.Key.FloatData, 0, headDim, 1, rowStride, 0f, a.Weights.FloatData, 0, square, l, 1);
                System.Numerics.Tensors.TensorPrimitives.Multiply(a.Weights.FloatData.AsSpan(0, heads * square), scale, a.Weights.FloatData.AsSpan(0, heads * square));
            }),
            ("fwd attn: softmax", () => SoftmaxKernel.Run(a.Weights.FloatData, 0, heads * l, l, 1, a.Dropped.FloatData, log: false)),
            ("fwd attn: dropout mask + mul", () =>
            {
                DropoutKernel.Mask(a.Mask.AsSpan(0, heads * square), layer.DropoutP, null);
                System.Numerics.Tensors.TensorPrimitives.Multiply(a.Weights.FloatData.AsSpan(0, heads * square), a.Mask.AsSpan(0, heads * square), a.Dropped.FloatData.AsSpan(0, heads * square));
            }),
            ("fwd attn: weights·v", () => GemmKernel.SgemmBatched(heads, l, headDim, l, 1f, a.Dropped.FloatData, 0, square, l, 1,
                a.Value.FloatData, 0, headDim, rowStride, 1, 0f, a.Attended.FloatData, 0, l * headDim, headDim, 1)),
            ("fwd attn: head merge copy", () =>
            {
                for (int b = 0; b < heads; b++)
                    for (int i = 0; i < l; i++)
                        a.Attended.FloatData.AsSpan((b * l + i) * headDim, headDim).CopyTo(a.Merged.FloatData.AsSpan(i * rowStride + b * headDim, headDim));
            }),
            ("fwd attn: out-proj + swap", () =>
            {
                LinearGradient.ForwardInto(a.Merged, attn.OutProj.Weight, attn.OutProj.Bias, GemmActivation.None, a.Projected!);
                Swap(a.Projected!, l, n, e, s.Attended);
            }),
            ("fwd self-attention (whole)", () => GraphOps.SelfAttention(plan.Attention, attn, input, s.Attended, a)),
            ("fwd dropout1", () => GraphOps.Dropout(layer.Dropout1, s.Attended, s.Dropped1, s.Mask1)),
            ("fwd add + norm1", () =>
            {
                GraphOps.Add(input, s.Dropped1, s.Sum1);
                GraphOps.LayerNorm(layer.Norm1, s.Sum1, s.Normed1, s.Mean1, s.InvStd1);
            }),
            ("fwd linear1 + relu", () => LinearGradient.ForwardInto(s.Normed1, layer.Linear1.Weight, layer.Linear1.Bias, GemmActivation.Relu, s.Hidden)),
            ("fwd dropout (hidden)", () => GraphOps.Dropout(layer.Dropout, s.Hidden, s.DroppedHidden, s.MaskHidden)),
            ("fwd linear2", () => LinearGradient.ForwardInto(s.DroppedHidden, layer.Linear2.Weight, layer.Linear2.Bias, GemmActivation.None, s.Projected2)),
            ("fwd dropout2", () => GraphOps.Dropout(layer.Dropout2, s.Projected2, s.Dropped2, s.Mask2)),
            ("fwd add + norm2", () =>
            {
                GraphOps.Add(s.Normed1, s.Dropped2, s.Sum2);
                GraphOps.LayerNorm(layer.Norm2, s.Sum2, output, s.Mean2, s.InvStd2);
            }),
            ("bwd norm2", () => GraphOps.LayerNormBackward(layer.Norm2, gradient, s.Sum2, s.Mean2, s.InvStd2, s.Grad1, grads[10], grads[11])),
            ("bwd dropout2 + linear2", () =>
            {
                GraphOps.DropoutBackward(true, s.Grad1, s.Mask2, s.GradProjected2);
                LinearGradient.BackwardInto(s.GradProjected2, s.DroppedHidden, layer.Linear2.Weight, s.GradHidden, grads[6], grads[7]);
            }),
            ("bwd dropout (hidden) + relu", () =>
            {
                GraphOps.DropoutBackward(true, s.GradHidden, s.MaskHidden, s.GradHidden);
                GraphOps.ReluBackward(s.GradHidden, s.Hidden, s.GradHidden);
            }),
            ("bwd linear1", () => LinearGradient.BackwardInto(s.GradHidden, s.Normed1, layer.Linear1.Weight, s.Grad2, grads[4], grads[5])),
            ("bwd linear1: dx alone", () => LinearGradient.BackwardInto(s.GradHidden, s.Normed1, layer.Linear1.Weight, s.Grad2, null, null)),
            ("bwd linear1: dw alone", () => LinearGradient.BackwardInto(s.GradHidden, s.Normed1, layer.Linear1.Weight, null, grads[4], null)),
            ("bwd linear1: dw as one gᵀ·x [1024, 256]", () => GemmKernel.Sgemm(1024, 256, 512, 1f,
                s.GradHidden.FloatData, 0, 1, 1024, s.Normed1.FloatData, 0, 256, 1, 0f, grads[4].FloatData, 0, 256, 1)),
            ("bwd linear1: dw as xᵀ·g [256, 1024] alone", () => GemmKernel.Sgemm(256, 1024, 512, 1f,
                s.Normed1.FloatData, 0, 1, 256, s.GradHidden.FloatData, 0, 1024, 1, 0f, scratch.FloatData, 0, 1024, 1)),
            ("bwd linear1: db alone", () => LinearGradient.BackwardInto(s.GradHidden, s.Normed1, layer.Linear1.Weight, null, null, grads[5])),
            ("bwd linear2: dx alone", () => LinearGradient.BackwardInto(s.GradProjected2, s.DroppedHidden, layer.Linear2.Weight, s.GradHidden, null, null)),
            ("bwd linear2: dw alone", () => LinearGradient.BackwardInto(s.GradProjected2, s.DroppedHidden, layer.Linear2.Weight, null, grads[6], null)),
            ("bwd add + norm1 + dropout1 + residual", () =>
            {
                GraphOps.Add(s.Grad1, s.Grad2, s.Grad2);
                GraphOps.LayerNormBackward(layer.Norm1, s.Grad2, s.Sum1, s.Mean1, s.InvStd1, s.Grad1, grads[8], grads[9]);
                GraphOps.DropoutBackward(true, s.Grad1, s.Mask1, s.Grad3);
                GraphOps.Copy(s.Grad1, gradInput);
            }),
            ("bwd attn: swap + out-proj", () =>
            {
                Swap(s.Grad3, n, l, e, a.GradProjected!);
                LinearGradient.BackwardInto(a.GradProjected!, a.Merged, attn.OutProj.Weight, a.GradMerged, grads[2], grads[3]);
            }),
            ("bwd attn: dW and dV GEMMs", () =>
            {
                GemmKernel.SgemmBatched(heads, l, l, headDim, 1f, a.GradMerged.FloatData, 0, headDim, rowStride, 1,
                    a.Value.FloatData, 0, headDim, 1, rowStride, 0f, a.GradWeights.FloatData, 0, square, l, 1);
                GemmKernel.SgemmBatched(heads, l, headDim, l, 1f, a.Dropped.FloatData, 0, square, 1, l,
                    a.GradMerged.FloatData, 0, headDim, rowStride, 1, 0f, a.GradValue.FloatData, 0, headDim, rowStride, 1);
            }),
            ("bwd attn: mask + softmax + scale", () =>
            {
                var dw = a.GradWeights.FloatData.AsSpan(0, heads * square);
                System.Numerics.Tensors.TensorPrimitives.Multiply(dw, a.Mask.AsSpan(0, heads * square), dw);
                var dScores = a.GradScores.FloatData.AsSpan(0, heads * square);
                ReductionGradient.SoftmaxLastDimInto(dw, a.Weights.FloatData.AsSpan(0, heads * square), l, dScores);
                System.Numerics.Tensors.TensorPrimitives.Multiply(dScores, scale, dScores);
            }),
            ("bwd attn: dQ and dK GEMMs", () =>
            {
                GemmKernel.SgemmBatched(heads, l, headDim, l, 1f, a.GradScores.FloatData, 0, square, l, 1,
                    a.Key.FloatData, 0, headDim, rowStride, 1, 0f, a.GradQuery.FloatData, 0, headDim, rowStride, 1);
                GemmKernel.SgemmBatched(heads, l, headDim, l, 1f, a.GradScores.FloatData, 0, square, 1, l,
                    a.Query.FloatData, 0, headDim, rowStride, 1, 0f, a.GradKey.FloatData, 0, headDim, rowStride, 1);
            }),
            ("bwd attn: in-proj 3 backward", () =>
            {
                var (gwq, gwk, gwv) = Chunks(grads[0]);
                var (gbq, gbk, gbv) = Chunks(grads[1]);
                LinearGradient.BackwardInto(a.GradValue, a.SeqFirst!, wv, a.GradSeqFirst, gwv, gbv);
                LinearGradient.BackwardInto(a.GradKey, a.SeqFirst!, wk, a.GradSeqFirst, gwk, gbk);
                LinearGradient.BackwardInto(a.GradQuery, a.SeqFirst!, wq, a.GradSeqFirst, gwq, gbq);
            }),
            ("bwd attn: 3 swaps + 3 adds", () =>
            {
                for (int i = 0; i < 3; i++)
                {
                    Swap(a.GradSeqFirst!, l, n, e, a.GradPartial);
                    GraphOps.AddInPlace(gradInput, a.GradPartial);
                }
            }),
            ("bwd self-attention (whole)", () => GraphOps.SelfAttentionBackward(plan.Attention, attn, a, s.Grad3, input, gradInput, true,
                grads[0], grads[1], grads[2], grads[3])),
        };
        foreach (var (name, run) in pieces)
        {
            for (int i = 0; i < 5; i++) run();
            Console.WriteLine($"  {name,-40} {Time(run, steps) * 1e3,8:F3} ms");
        }
    }

    // destination [b, a, c] = source [a, b, c], as the composite step swaps the batch-first rows.
    static void Swap(Tensor source, int a, int b, int c, Tensor destination)
    {
        for (int i = 0; i < a; i++)
            for (int j = 0; j < b; j++)
                source.FloatData.AsSpan((i * b + j) * c, c).CopyTo(destination.FloatData.AsSpan((j * a + i) * c, c));
    }

    static (Tensor, Tensor, Tensor) Chunks(Tensor packed)
    {
        var parts = packed.Detach().Chunk(3, 0);
        return (parts[0], parts[1], parts[2]);
    }
}
