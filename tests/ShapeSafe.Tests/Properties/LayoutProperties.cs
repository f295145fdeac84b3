using CsCheck;
using ShapeSafe.Shapes;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.Properties;

/// <summary>
/// Properties of views over random layouts (<see cref="LayoutCase"/>: arange over a random shape, then random
/// transposes, permutes, stepped slices, narrows, expands, unsqueezes and selects). Values are checked against
/// <see cref="ViewModel"/>, a reference that knows nothing of strides.
/// </summary>
public class LayoutProperties
{
    // Modest on purpose: each property runs in well under a second, and the goldens cover the fixed cases. Set
    // CsCheck_Iter for a longer hunt (for example CsCheck_Iter=50000).
    static readonly long Iterations = long.TryParse(Environment.GetEnvironmentVariable("CsCheck_Iter"), out var n) ? n : 600;

    [Fact]
    public void Rule_layouts_equal_engine_layouts_and_read_the_reference_values()
    {
        LayoutCase.Generator.Sample(c =>
        {
            var origin = Tensor.Arange(ViewModel.Count(c.Base)).Reshape(c.Base);
            var t = origin;
            var layout = Rules.Contiguous(c.Base);
            var model = ViewModel.Arange(c.Base);
            foreach (var op in c.Ops)
            {
                t = op.Apply(t);
                layout = op.Apply(layout);
                model = op.Apply(model);
                Assert.Equal(layout.Sizes, t.Shape);
                Assert.Equal(layout.Strides, t.Strides);
                Assert.Equal(layout.Offset, t.StorageOffset);
                Assert.Equal(Rules.IsContiguous(layout.Sizes, layout.Strides) == Truth.True, t.IsContiguous);
                Assert.Equal(model.Shape, t.Shape);
                Assert.Equal(TorchIsContiguous(t.Shape, t.Strides), t.IsContiguous);
            }
            Assert.Equal(model.Values, t.ToInt64Array());
            Assert.True(t.SharesStorage(origin));
        }, iter: Iterations, print: c => c.ToString());
    }

    [Fact]
    public void Rule_and_engine_refuse_the_same_out_of_range_arguments()
    {
        LayoutCase.Generator.Sample(c =>
        {
            var (t, layout, _) = c.Build();
            int rank = t.Rank;
            int span = Math.Max(rank, 1);
            Refused(() => t.Transpose(span, 0), () => Rules.Transpose(layout, span, 0));
            Refused(() => t.Unsqueeze(rank + 1), () => Rules.Unsqueeze(layout, rank + 1));
            Refused(() => t.Unsqueeze(-rank - 2), () => Rules.Unsqueeze(layout, -rank - 2));
            Refused(() => t.Permute(Enumerable.Repeat(0, rank + 1).ToArray()), () => Rules.Permute(layout, Enumerable.Repeat(0, rank + 1).ToArray()));
            if (rank == 0) return;
            int last = t.Shape[rank - 1];
            Refused(() => t.Select(-1, last), () => Rules.Select(layout, -1, last));
            Refused(() => t.Narrow(-1, 0, last + 1), () => Rules.Narrow(layout, -1, 0, last + 1));
            Refused(() => t.Expand(t.Shape.Take(rank - 1).Append(last + 2).ToArray()),
                () => Rules.Expand(layout, layout.Sizes.Take(rank - 1).Append(last + 2).ToArray()),
                refusedWhen: last != 1);
        }, iter: Iterations, print: c => c.ToString());
    }

    [Fact]
    public void An_accepted_view_reads_the_same_values_as_a_view_of_the_contiguous_copy()
    {
        LayoutCase.Generator.Sample(c =>
        {
            var (t, layout, model) = c.Build();
            var target = c.Target(model.Values.LongLength);
            var ruleView = Attempt(() => Rules.View(layout, target));
            var view = Attempt(() => t.View(target));
            var ofCopy = Attempt(() => t.Contiguous().View(target));
            Assert.Equal(ruleView is null, view is null);
            // A view of a contiguous tensor only fails on the element count (or the -1s); then every view fails.
            if (ofCopy is null) Assert.Null(view);
            var sizes = InferSize(target, model.Values.LongLength);
            Assert.Equal(sizes is not null, ofCopy is not null);
            Assert.Equal(sizes is not null && StridesExist(model, sizes), view is not null);
            if (view is null) return;

            Assert.Equal(ruleView!.Value.Sizes, view.Shape);
            Assert.Equal(ruleView.Value.Strides, view.Strides);
            Assert.Equal(t.StorageOffset, view.StorageOffset);
            Assert.Equal(ofCopy!.Shape, view.Shape);
            Assert.True(view.SharesStorage(t));
            Assert.Equal(ofCopy.ToInt64Array(), view.ToInt64Array());
            Assert.Equal(model.Values, view.ToInt64Array());
        }, iter: Iterations, print: c => $"{c} . View({string.Join(", ", c.Target(c.Build().Model.Values.LongLength))})");
    }

    [Fact]
    public void Reshape_equals_Contiguous_then_View_and_copies_exactly_when_no_view_exists()
    {
        LayoutCase.Generator.Sample(c =>
        {
            var (t, layout, model) = c.Build();
            var target = c.Target(model.Values.LongLength, salt: 1);
            var reshaped = Attempt(() => t.Reshape(target));
            var expected = Attempt(() => t.Contiguous().View(target));
            Assert.Equal(expected is null, reshaped is null);
            if (reshaped is null) return;

            Assert.Equal(expected!.Shape, reshaped.Shape);
            Assert.Equal(expected.ToInt64Array(), reshaped.ToInt64Array());
            Assert.Equal(model.Values, reshaped.ToInt64Array());
            bool isView = Rules.TryReshapeAsView(layout, target, out var sizes, out _);
            Assert.Equal(sizes, reshaped.Shape);
            Assert.Equal(isView, reshaped.SharesStorage(t));
            Assert.Equal(isView, Attempt(() => t.View(target)) is not null);
            if (!isView) Assert.True(reshaped.IsContiguous);
        }, iter: Iterations, print: c => $"{c} . Reshape({string.Join(", ", c.Target(c.Build().Model.Values.LongLength, salt: 1))})");
    }

    [Fact]
    public void Permute_then_the_inverse_permutation_is_the_identity()
    {
        LayoutCase.Generator.Sample(c =>
        {
            var (t, _, model) = c.Build();
            var rnd = new System.Random(c.Extra[2]);
            var p = Enumerable.Range(0, t.Rank).OrderBy(_ => rnd.Next()).ToArray();
            var inverse = new int[p.Length];
            for (int i = 0; i < p.Length; i++) inverse[p[i]] = i;

            var permuted = t.Permute(p);
            for (int i = 0; i < p.Length; i++)
            {
                Assert.Equal(t.Shape[p[i]], permuted.Shape[i]);
                Assert.Equal(t.Strides[p[i]], permuted.Strides[i]);
            }
            var back = permuted.Permute(inverse);
            Assert.Equal(t.Shape, back.Shape);
            Assert.Equal(t.Strides, back.Strides);
            Assert.Equal(t.StorageOffset, back.StorageOffset);
            Assert.True(back.SharesStorage(t));
            Assert.Equal(model.Values, back.ToInt64Array());
        }, iter: Iterations, print: c => c.ToString());
    }

    [Fact]
    public void Squeeze_and_Unsqueeze_round_trip()
    {
        LayoutCase.Generator.Sample(c =>
        {
            var (t, _, model) = c.Build();
            int rank = t.Rank;
            int d = new System.Random(c.Extra[3]).Next(-rank - 1, rank + 1);

            var unsqueezed = t.Unsqueeze(d);
            Assert.Equal(rank + 1, unsqueezed.Rank);
            Assert.Equal(1, unsqueezed.Shape[d < 0 ? d + rank + 1 : d]);
            var back = unsqueezed.Squeeze(d);
            Assert.Equal(t.Shape, back.Shape);
            Assert.Equal(t.Strides, back.Strides);
            Assert.Equal(t.StorageOffset, back.StorageOffset);
            Assert.Equal(model.Values, back.ToInt64Array());

            var squeezed = t.Squeeze();
            Assert.Equal(t.Shape.Where(s => s != 1), squeezed.Shape);
            Assert.Equal(model.Values, squeezed.ToInt64Array());
            for (int i = 0; i < rank; i++)
            {
                var one = t.Squeeze(i);
                if (t.Shape[i] != 1)
                {
                    Assert.Equal(t.Shape, one.Shape);
                    Assert.Equal(t.Strides, one.Strides);
                    continue;
                }
                var restored = one.Unsqueeze(i);
                Assert.Equal(t.Shape, restored.Shape);
                Assert.Equal(model.Values, restored.ToInt64Array());
            }
        }, iter: Iterations, print: c => c.ToString());
    }

    [Fact]
    public void Split_and_Chunk_pieces_Cat_back_to_the_original()
    {
        LayoutCase.Generator.Sample(c =>
        {
            var (t, _, model) = c.Build();
            if (t.Rank == 0) return;
            var rnd = new System.Random(c.Extra[4]);
            int dim = rnd.Next(-t.Rank, t.Rank);
            int size = t.Shape[dim < 0 ? dim + t.Rank : dim];

            int splitSize = rnd.Next(1, size + 2);
            var pieces = t.Split(splitSize, dim);
            int expectedCount = size == 0 ? 1 : (size + splitSize - 1) / splitSize;
            Assert.Equal(expectedCount, pieces.Length);
            Assert.All(pieces.SkipLast(1), p => Assert.Equal(splitSize, p.Shape[dim < 0 ? dim + t.Rank : dim]));
            CatsBack(t, model, pieces, dim);

            // PyTorch's chunk: pieces of ceil(size / chunks), so possibly fewer than asked; an empty dim gives
            // `chunks` empty pieces.
            int chunks = rnd.Next(1, 7);
            var chunked = t.Chunk(chunks, dim);
            int chunkSize = (size + chunks - 1) / chunks;
            Assert.Equal(size == 0 ? chunks : (size + chunkSize - 1) / chunkSize, chunked.Length);
            CatsBack(t, model, chunked, dim);

            var sizes = new List<int>();
            for (int left = size; left > 0 || sizes.Count == 0;)
            {
                int s = rnd.Next(0, left + 1);
                sizes.Add(s);
                left -= s;
                if (sizes.Count > 4) { sizes.Add(left); break; }
            }
            CatsBack(t, model, t.Split(sizes.ToArray(), dim), dim);
        }, iter: Iterations, print: c => c.ToString());
    }

    /// <summary>
    /// c10's <c>_compute_contiguous</c>, transcribed: true for any tensor without elements; otherwise the strides of
    /// the dims larger than 1 must be the row-major ones.
    /// </summary>
    static bool TorchIsContiguous(IReadOnlyList<int> sizes, IReadOnlyList<int> strides)
    {
        if (sizes.Contains(0)) return true;
        long expected = 1;
        for (int d = sizes.Count - 1; d >= 0; d--)
        {
            if (sizes[d] == 1) continue;
            if (strides[d] != expected) return false;
            expected *= sizes[d];
        }
        return true;
    }

    /// <summary>The requested shape with its -1 resolved, or null when PyTorch refuses it (count, ambiguity, two -1s).</summary>
    static int[]? InferSize(int[] requested, long count)
    {
        int inferred = Array.IndexOf(requested, -1);
        if (inferred != Array.LastIndexOf(requested, -1)) return null;
        long known = 1;
        foreach (var s in requested) if (s != -1) known *= s;
        if (inferred < 0) return known == count ? requested : null;
        if (known == 0 || count % known != 0) return null;
        var sizes = (int[])requested.Clone();
        sizes[inferred] = (int)(count / known);
        return sizes;
    }

    /// <summary>
    /// Whether some strides make a tensor of <paramref name="sizes"/> read, in row-major order, the storage positions
    /// the model lists (the model of an arange holds exactly those positions): the position must be an affine function
    /// of the index. An empty tensor can always be viewed. This is the definition a view answers to, independent of
    /// ATen's computeStride.
    /// </summary>
    static bool StridesExist(ViewModel model, int[] sizes)
    {
        var positions = model.Values;
        if (positions.Length == 0) return true;
        var strides = new long[sizes.Length];
        long step = 1;
        for (int d = sizes.Length - 1; d >= 0; d--)
        {
            strides[d] = sizes[d] > 1 ? positions[step] - positions[0] : 0;
            step *= sizes[d];
        }
        var idx = new int[sizes.Length];
        for (long k = 0; k < positions.Length; k++)
        {
            long predicted = positions[0];
            for (int d = 0; d < sizes.Length; d++) predicted += idx[d] * strides[d];
            if (predicted != positions[k]) return false;
            for (int d = sizes.Length - 1; d >= 0 && ++idx[d] == sizes[d]; d--) idx[d] = 0;
        }
        return true;
    }

    static void CatsBack(Tensor t, ViewModel model, Tensor[] pieces, int dim)
    {
        Assert.All(pieces, p => Assert.True(p.SharesStorage(t)));
        var joined = Tensor.Cat(pieces, dim);
        Assert.Equal(t.Shape, joined.Shape);
        Assert.Equal(model.Values, joined.ToInt64Array());
    }

    static T? Attempt<T>(Func<T> f) where T : class
    {
        try
        {
            return f();
        }
        catch (ShapeException)
        {
            return null;
        }
    }

    static Layout<int>? Attempt(Func<Layout<int>> f)
    {
        try
        {
            return f();
        }
        catch (ShapeException)
        {
            return null;
        }
    }

    /// <summary>Both the engine and the rule refuse the call with a ShapeException (or both accept, when <paramref name="refusedWhen"/> is false).</summary>
    static void Refused(Func<Tensor> engine, Func<Layout<int>> rule, bool refusedWhen = true)
    {
        Assert.Equal(refusedWhen, Attempt(engine) is null);
        Assert.Equal(refusedWhen, Attempt(rule) is null);
    }
}
