using TorchSharp;
using S = ShapeSafe;
using T = TorchSharp.torch;

namespace ShapeSafe.Conformance;

/// <summary>The ops and layers compared, with the same index tensors on both sides.</summary>
static class Cases
{
    static S.Tensor Ls(long[] v, params int[] shape) => S.Tensor.FromArray(v, shape);

    static T.Tensor Lt(long[] v, params int[] shape) => T.tensor(v, shape.Select(d => (long)d).ToArray());

    // Every third element NaN, on either side.
    static S.Tensor WithNaN(S.Tensor x) => x / (x.Abs() - 2f + 2f) * S.Tensor.FromArray(Enumerable.Range(0, (int)x.NumEl).Select(i => i % 3 == 0 ? float.NaN : 1f).ToArray(), x.Shape.ToArray());

    static T.Tensor WithNaN(T.Tensor x) => x / (x.abs() - 2f + 2f) * T.tensor(Enumerable.Range(0, (int)x.numel()).Select(i => i % 3 == 0 ? float.NaN : 1f).ToArray(), x.shape);

    public static IEnumerable<Case> All()
    {
        // ---- tensor ops
        long[] gi = { 2, 0, 1, 1, 0, 2, 2, 2 };
        yield return new Case { Name = "Gather dim 0", Shapes = [[3, 4]], Ours = x => x[0].Gather(0, Ls(gi, 2, 4)), Theirs = x => x[0].gather(0, Lt(gi, 2, 4)) };
        yield return new Case { Name = "Gather dim 1", Shapes = [[4, 3]], Ours = x => x[0].Gather(1, Ls(gi, 4, 2)), Theirs = x => x[0].gather(1, Lt(gi, 4, 2)) };
        long[] si = { 1, 0, 2, 0, 2, 1 };
        yield return new Case { Name = "Scatter src dim 1", Shapes = [[2, 4], [2, 3]], Ours = x => x[0].Scatter(1, Ls(si, 2, 3), x[1]), Theirs = x => x[0].scatter(1, Lt(si, 2, 3), x[1]) };
        // LibTorch's backward refuses a src larger than the index (ScatterBackward0 returns the index's shape); ours gives src's.
        yield return new Case { Name = "Scatter larger src dim 0", Shapes = [[3, 3], [3, 4]], NoGrad = true, Ours = x => x[0].Scatter(0, Ls(si, 2, 3), x[1]), Theirs = x => x[0].scatter(0, Lt(si, 2, 3), x[1]) };
        yield return new Case { Name = "Scatter value", Shapes = [[3, 3]], Ours = x => x[0].Scatter(0, Ls(si, 2, 3), 1.5f), Theirs = x => x[0].scatter(0, Lt(si, 2, 3), T.full(new long[] { 2, 3 }, 1.5f)) };
        // Positions written twice: the later value (row-major) wins on LibTorch's CPU.
        long[] dup = { 1, 1, 0, 1, 1, 2 };
        yield return new Case { Name = "Scatter repeated positions", Shapes = [[3, 3], [2, 3]], NoGrad = true, Ours = x => x[0].Scatter(1, Ls(dup, 2, 3), x[1]), Theirs = x => x[0].scatter(1, Lt(dup, 2, 3), x[1]) };
        // Strided inputs: a transposed view read through its strides.
        yield return new Case { Name = "Gather of a transposed view", Shapes = [[4, 3]], Ours = x => x[0].Transpose(0, 1).Gather(1, Ls(gi, 2, 4)), Theirs = x => x[0].transpose(0, 1).gather(1, Lt(gi, 2, 4)) };
        yield return new Case { Name = "Sort of a transposed view", Shapes = [[5, 3]], Ours = x => x[0].Transpose(0, 1).Sort(1).Values, Theirs = x => x[0].transpose(0, 1).sort(1).Values };
        yield return new Case { Name = "Cumsum of a transposed view", Shapes = [[5, 3]], Ours = x => x[0].Transpose(0, 1).Cumsum(1), Theirs = x => x[0].transpose(0, 1).cumsum(1) };
        yield return new Case { Name = "Topk of a transposed view", Shapes = [[6, 3]], Ours = x => x[0].Transpose(0, 1).Topk(2).Values, Theirs = x => x[0].transpose(0, 1).topk(2).values };
        long[] ai = { 0, 2, 0, 1, 1, 1, 0, 0 };
        yield return new Case { Name = "ScatterAdd repeated dim 0", Shapes = [[3, 4], [2, 4]], Ours = x => x[0].ScatterAdd(0, Ls(ai, 2, 4), x[1]), Theirs = x => x[0].scatter_add(0, Lt(ai, 2, 4), x[1]) };
        yield return new Case { Name = "Cumsum dim 1", Shapes = [[3, 5, 2]], Ours = x => x[0].Cumsum(1), Theirs = x => x[0].cumsum(1) };
        yield return new Case { Name = "Cumsum long row", Shapes = [[2, 1000]], Ours = x => x[0].Cumsum(-1), Theirs = x => x[0].cumsum(-1) };
        yield return new Case { Name = "Tril", Shapes = [[2, 3, 4]], Ours = x => x[0].Tril(), Theirs = x => x[0].tril() };
        yield return new Case { Name = "Tril diagonal -1", Shapes = [[4, 3]], Ours = x => x[0].Tril(-1), Theirs = x => x[0].tril(-1) };
        yield return new Case { Name = "Triu diagonal 1", Shapes = [[3, 5]], Ours = x => x[0].Triu(1), Theirs = x => x[0].triu(1) };
        yield return new Case { Name = "Sort values", Shapes = [[3, 7]], Ours = x => x[0].Sort().Values, Theirs = x => x[0].sort().Values };
        yield return new Case { Name = "Sort descending dim 0 values", Shapes = [[6, 3]], Ours = x => x[0].Sort(0, descending: true).Values, Theirs = x => x[0].sort(0, descending: true).Values };
        yield return new Case { Name = "Sort ties indices", Shapes = [[4, 9]], Ties = true, NoGrad = true, Ours = x => x[0].Sort().Indices, Theirs = x => x[0].sort().Indices };
        yield return new Case { Name = "Sort ties stable indices", Shapes = [[4, 9]], Ties = true, NoGrad = true, Ours = x => x[0].Sort(stable: true).Indices, Theirs = x => x[0].sort(stable: true).Indices };
        yield return new Case { Name = "Sort ties descending indices", Shapes = [[4, 9]], Ties = true, NoGrad = true, Ours = x => x[0].Sort(descending: true).Indices, Theirs = x => x[0].sort(descending: true).Indices };
        yield return new Case { Name = "Sort ties desc stable indices", Shapes = [[4, 9]], Ties = true, NoGrad = true, Ours = x => x[0].Sort(descending: true, stable: true).Indices, Theirs = x => x[0].sort(descending: true, stable: true).Indices };
        foreach (int n in new[] { 100, 1000, 5000 })
        {
            int len = n;
            yield return new Case { Name = $"Sort ties {n} indices", Shapes = [[3, n]], Ties = true, NoGrad = true, Ours = x => x[0].Sort().Indices, Theirs = x => x[0].sort().Indices };
            yield return new Case { Name = $"Sort ties {n} descending indices", Shapes = [[3, n]], Ties = true, NoGrad = true, Ours = x => x[0].Sort(descending: true).Indices, Theirs = x => x[0].sort(descending: true).Indices };
            yield return new Case { Name = $"Sort ties {n} stable indices", Shapes = [[3, n]], Ties = true, NoGrad = true, Ours = x => x[0].Sort(stable: true).Indices, Theirs = x => x[0].sort(stable: true).Indices };
            yield return new Case { Name = $"Sort ties {n} NaN indices", Shapes = [[2, n]], Ties = true, NoGrad = true, Ours = x => WithNaN(x[0]).Sort().Indices, Theirs = x => WithNaN(x[0]).sort().Indices };
            yield return new Case { Name = $"Sort ties {n} Int64 dim 0", Shapes = [[n, 2]], Ties = true, NoGrad = true, Ours = x => x[0].ToDType(S.DType.Int64).Sort(0).Indices, Theirs = x => x[0].to_type(T.ScalarType.Int64).sort(0).Indices };
        }
        yield return new Case { Name = "Argsort dim 0", Shapes = [[5, 4]], NoGrad = true, Ours = x => x[0].Argsort(0), Theirs = x => x[0].argsort(0) };
        yield return new Case { Name = "Topk 3 values", Shapes = [[4, 8]], Ours = x => x[0].Topk(3).Values, Theirs = x => x[0].topk(3).values };
        yield return new Case { Name = "Topk 3 indices", Shapes = [[4, 8]], NoGrad = true, Ours = x => x[0].Topk(3).Indices, Theirs = x => x[0].topk(3).indexes };
        yield return new Case { Name = "Topk smallest dim 0 values", Shapes = [[7, 3]], Ours = x => x[0].Topk(2, 0, largest: false).Values, Theirs = x => x[0].topk(2, 0, largest: false).values };
        // Equal values in both of LibTorch's branches (nth_element + sort when 64·k > n, partial_sort otherwise),
        // both directions, unsorted, and NaNs; many seeds, since the order of ties depends on the whole line.
        foreach (var (rows, n, k) in new[] { (4, 9, 4), (3, 40, 7), (2, 300, 3), (2, 640, 10), (5, 17, 16), (2, 130, 2) })
            for (int seed = 1; seed <= 3; seed++)
            {
                int kk = k;
                yield return new Case { Name = $"Topk ties {n} k={k} seed {seed}", Seed = seed, Shapes = [[rows, n]], Ties = true, NoGrad = true, Ours = x => x[0].Topk(kk).Indices, Theirs = x => x[0].topk(kk).indexes };
                yield return new Case { Name = $"Topk ties {n} k={k} smallest seed {seed}", Seed = seed, Shapes = [[rows, n]], Ties = true, NoGrad = true, Ours = x => x[0].Topk(kk, largest: false).Indices, Theirs = x => x[0].topk(kk, largest: false).indexes };
                yield return new Case { Name = $"Topk ties {n} k={k} unsorted seed {seed}", Seed = seed, Shapes = [[rows, n]], Ties = true, NoGrad = true, Ours = x => x[0].Topk(kk, sorted: false).Indices, Theirs = x => x[0].topk(kk, sorted: false).indexes };
            }
        yield return new Case { Name = "Topk NaN ties", Shapes = [[3, 12]], Ties = true, NoGrad = true, Ours = x => WithNaN(x[0]).Topk(5).Indices, Theirs = x => WithNaN(x[0]).topk(5).indexes };
        yield return new Case { Name = "Var correction 0 dim 1", Shapes = [[3, 6]], Ours = x => x[0].Var(1, correction: 0.0), Theirs = x => x[0].var(1, unbiased: false) };
        yield return new Case { Name = "Var correction 2 all", Shapes = [[3, 6]], Ours = x => x[0].Var(correction: 2.0), Theirs = x => x[0].reshape(-1).var(0, unbiased: false) * (18.0 / 16.0) }; // TorchSharp has no correction argument: n/(n-2) times the population variance
        yield return new Case { Name = "Std correction 1 dims [0, 2]", Shapes = [[3, 2, 4]], Ours = x => x[0].Std([0, 2], 1.0, keepDim: true), Theirs = x => x[0].std(new long[] { 0, 2 }, unbiased: true, keepdim: true) };
        yield return new Case { Name = "Norm 2 all", Shapes = [[3, 5]], Ours = x => x[0].Norm(), Theirs = x => x[0].norm() };
        yield return new Case { Name = "Norm 2 dim 1", Shapes = [[4, 5]], Ours = x => x[0].Norm(2, 1), Theirs = x => x[0].norm(1, false, 2) };
        yield return new Case { Name = "Norm 1 dim 0 keepdim", Shapes = [[4, 5]], Ours = x => x[0].Norm(1, 0, keepDim: true), Theirs = x => x[0].norm(0, true, 1) };
        yield return new Case { Name = "Norm 3 dim -1", Shapes = [[4, 5]], Ours = x => x[0].Norm(3, -1), Theirs = x => x[0].norm(-1, false, 3) };
        yield return new Case { Name = "Norm inf dim 1", Shapes = [[4, 5]], Ours = x => x[0].Norm(double.PositiveInfinity, 1), Theirs = x => x[0].norm(1, false, float.PositiveInfinity) };
        yield return new Case { Name = "Norm 0.5 all", Shapes = [[3, 4]], Positive = true, Ours = x => x[0].Norm(0.5), Theirs = x => x[0].norm(0.5f) };
        long[] oh = { 0, 3, 1, 1, 2, 0 };
        yield return new Case { Name = "OneHot 5 classes", Shapes = [], NoGrad = true, Ours = _ => ShapeSafe.NN.F.OneHot(Ls(oh, 2, 3), 5), Theirs = _ => T.nn.functional.one_hot(Lt(oh, 2, 3), 5) };
        yield return new Case { Name = "OneHot inferred", Shapes = [], NoGrad = true, Ours = _ => ShapeSafe.NN.F.OneHot(Ls(oh, 6)), Theirs = _ => T.nn.functional.one_hot(Lt(oh, 6)) };
        yield return new Case { Name = "Max dim 1 values", Shapes = [[3, 5]], Ours = x => x[0].Max(1).Values, Theirs = x => x[0].max(1).values };
        yield return new Case { Name = "Min dim 0 ties indices", Shapes = [[6, 4]], Ties = true, NoGrad = true, Ours = x => x[0].Min(0).Indices, Theirs = x => x[0].min(0).indexes };

        // scatter_reduce: TorchSharp 0.107 binds neither scatter_reduce nor memory formats, so sum and mean are
        // compared with the same reductions composed of LibTorch's scatter_add and scatter (gradients included); prod,
        // amax and amin are checked against PyTorch's documented values in the tests.
        long[] ri = { 0, 2, 2, 1, 0, 2, 2, 0 };
        yield return new Case { Name = "ScatterReduce sum", Shapes = [[3, 4], [2, 4]], Ours = x => x[0].ScatterReduce(0, Ls(ri, 2, 4), x[1], "sum"), Theirs = x => x[0].scatter_add(0, Lt(ri, 2, 4), x[1]) };
        yield return new Case { Name = "ScatterReduce sum exclude self", Shapes = [[3, 4], [2, 4]], Ours = x => x[0].ScatterReduce(0, Ls(ri, 2, 4), x[1], "sum", includeSelf: false), Theirs = x => x[0].scatter(0, Lt(ri, 2, 4), T.zeros(2, 4)).scatter_add(0, Lt(ri, 2, 4), x[1]) };
        yield return new Case { Name = "ScatterReduce mean", Shapes = [[3, 4], [2, 4]], Ours = x => x[0].ScatterReduce(0, Ls(ri, 2, 4), x[1], "mean"), Theirs = x => x[0].scatter_add(0, Lt(ri, 2, 4), x[1]) / T.ones(3, 4).scatter_add(0, Lt(ri, 2, 4), T.ones(2, 4)) };
        yield return new Case { Name = "ScatterReduce mean exclude self", Shapes = [[3, 4], [2, 4]], Ours = x => x[0].ScatterReduce(0, Ls(ri, 2, 4), x[1], "mean", includeSelf: false), Theirs = x =>
        {
            var counts = T.zeros(3, 4).scatter_add(0, Lt(ri, 2, 4), T.ones(2, 4));
            var kept = x[0] * (counts == 0).to_type(T.ScalarType.Float32);
            return kept.scatter_add(0, Lt(ri, 2, 4), x[1]) / counts.clamp_min(1);
        } };
        // any / all compared as 0/1 (LibTorch's Bool result converted).
        yield return new Case { Name = "Any dim 1", Shapes = [[4, 5]], Ties = true, NoGrad = true, Ours = x => x[0].Any(1).ToDType(DType.Float32), Theirs = x => x[0].any(1).to_type(T.ScalarType.Float32) };
        yield return new Case { Name = "All dim 0 keepdim", Shapes = [[4, 5]], Ties = true, NoGrad = true, Ours = x => x[0].All(0, keepDim: true).ToDType(DType.Float32), Theirs = x => x[0].all(0, keepdim: true).to_type(T.ScalarType.Float32) };
        yield return new Case { Name = "All of an empty tensor", Shapes = [[0, 3]], NoGrad = true, Ours = x => x[0].All().ToDType(DType.Float32), Theirs = x => x[0].all().to_type(T.ScalarType.Float32) };
        // clone(memory_format): LibTorch's channels-last layout made by a permuted contiguous copy (TorchSharp has no
        // memory_format argument); strides compared as Int64. Size-1 and size-0 dims are left out: there the permuted copy
        // is already contiguous and keeps the input's strides, while channels_last follows c10's formula (tests).
        yield return new Case { Name = "Clone channels_last strides", Shapes = [[2, 3, 4, 5]], NoGrad = true, Ours = x => Ls(x[0].Clone(S.MemoryFormat.ChannelsLast).Strides.Select(v => (long)v).ToArray(), 4), Theirs = x => Lt(x[0].permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2).stride(), 4) };
        yield return new Case { Name = "Clone channels_last values", Shapes = [[2, 3, 4, 5]], Ours = x => x[0].Clone(S.MemoryFormat.ChannelsLast), Theirs = x => x[0].permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2) };

        foreach (var c in LayerCases.All()) yield return c;
        foreach (var c in AttentionCases.All()) yield return c;
        foreach (var c in RecurrentCases.All()) yield return c;
        foreach (var c in TaggerCases.All()) yield return c;
        foreach (var c in ModelCases.All()) yield return c;
        foreach (var c in Float64SpatialCases.All()) yield return c;
        foreach (var c in UNetFloat64Cases.All()) yield return c;
        foreach (var c in GptCases.All()) yield return c;
        foreach (var c in AutocastCases.All()) yield return c;
        foreach (var c in OptimizerCases.All()) yield return c;
    }
}
