using CsCheck;
using ShapeSafe.Shapes;
using Rules = ShapeSafe.Shapes.ShapeRules<int, ShapeSafe.Shapes.ConcreteDims>;

namespace ShapeSafe.Tests.Properties;

/// <summary>
/// An independent reference for view ops: a shape and its elements in row-major order, with each op written as
/// "which input element does output element idx read". It knows nothing of strides or offsets, so when the engine's
/// strided views read the same values, the layouts are right.
/// </summary>
internal sealed class ViewModel(int[] shape, long[] values)
{
    public int[] Shape { get; } = shape;

    public long[] Values { get; } = values;

    public static ViewModel Arange(int[] shape)
    {
        var values = new long[Count(shape)];
        for (int i = 0; i < values.Length; i++) values[i] = i;
        return new ViewModel(shape, values);
    }

    public static long Count(int[] shape)
    {
        long n = 1;
        foreach (var s in shape) n *= s;
        return n;
    }

    /// <summary>The model of shape <paramref name="newShape"/> whose element idx is this model's element <c>source(idx)</c>.</summary>
    public ViewModel Map(int[] newShape, Action<int[], int[]> source)
    {
        var rowMajor = new long[Shape.Length];
        long step = 1;
        for (int d = Shape.Length - 1; d >= 0; d--)
        {
            rowMajor[d] = step;
            step *= Shape[d];
        }
        var values = new long[Count(newShape)];
        var idx = new int[newShape.Length];
        var src = new int[Shape.Length];
        for (long k = 0; k < values.Length; k++)
        {
            source(idx, src);
            long at = 0;
            for (int d = 0; d < src.Length; d++) at += src[d] * rowMajor[d];
            values[k] = Values[at];
            for (int d = newShape.Length - 1; d >= 0 && ++idx[d] == newShape[d]; d--) idx[d] = 0;
        }
        return new ViewModel(newShape, values);
    }
}

/// <summary>One view op with its arguments, applied alike to a tensor, a rule layout and the reference model.</summary>
internal sealed record ViewOp(string Kind, int A = 0, int B = 0, int C = 0, int[]? Dims = null)
{
    public override string ToString() => Kind switch
    {
        "Transpose" => $"Transpose({A}, {B})",
        "Permute" or "Expand" => $"{Kind}({string.Join(", ", Dims!)})",
        "Slice" => $"Slice({A}, {B}, {C}, step: {Dims![0]})",
        "Narrow" => $"Narrow({A}, {B}, {C})",
        "Select" => $"Select({A}, {B})",
        _ => $"{Kind}({A})",
    };

    public Tensor Apply(Tensor t) => Kind switch
    {
        "Transpose" => t.Transpose(A, B),
        "Permute" => t.Permute(Dims!),
        "Slice" => t.Slice(A, B, C, Dims![0]),
        "Narrow" => t.Narrow(A, B, C),
        "Expand" => t.Expand(Dims!),
        "Unsqueeze" => t.Unsqueeze(A),
        "Select" => t.Select(A, B),
        _ => throw new InvalidOperationException(Kind),
    };

    public Layout<int> Apply(Layout<int> l) => Kind switch
    {
        "Transpose" => Rules.Transpose(l, A, B),
        "Permute" => Rules.Permute(l, Dims!),
        "Slice" => Rules.Slice(l, A, B, C, Dims![0]),
        "Narrow" => Rules.Narrow(l, A, B, C),
        "Expand" => Rules.Expand(l, Dims!),
        "Unsqueeze" => Rules.Unsqueeze(l, A),
        "Select" => Rules.Select(l, A, B),
        _ => throw new InvalidOperationException(Kind),
    };

    /// <summary>PyTorch's semantics, written from the documentation without strides.</summary>
    public ViewModel Apply(ViewModel m)
    {
        var shape = m.Shape;
        int rank = shape.Length;
        int Wrap(int d, int span) => d < 0 ? d + span : d;
        switch (Kind)
        {
            case "Transpose":
            {
                if (rank == 0) return m;
                int a = Wrap(A, rank), b = Wrap(B, rank);
                var s = (int[])shape.Clone();
                (s[a], s[b]) = (s[b], s[a]);
                return m.Map(s, (idx, src) =>
                {
                    idx.CopyTo(src, 0);
                    (src[a], src[b]) = (src[b], src[a]);
                });
            }
            case "Permute":
            {
                var p = Dims!.Select(d => Wrap(d, rank)).ToArray();
                var s = p.Select(d => shape[d]).ToArray();
                return m.Map(s, (idx, src) =>
                {
                    for (int i = 0; i < rank; i++) src[p[i]] = idx[i];
                });
            }
            case "Slice":
            {
                int d = Wrap(A, rank), size = shape[d], step = Dims![0];
                // Python's slice.indices for a positive step.
                long start = B < 0 ? Math.Max(B + size, 0) : Math.Min(B, size);
                long end = C < 0 ? Math.Max(C + size, 0) : Math.Min(C, size);
                int count = end > start ? (int)((end - start + step - 1) / step) : 0;
                var s = (int[])shape.Clone();
                s[d] = count;
                return m.Map(s, (idx, src) =>
                {
                    idx.CopyTo(src, 0);
                    src[d] = (int)start + idx[d] * step;
                });
            }
            case "Narrow":
            {
                int d = Wrap(A, rank), start = Wrap(B, shape[d]);
                var s = (int[])shape.Clone();
                s[d] = C;
                return m.Map(s, (idx, src) =>
                {
                    idx.CopyTo(src, 0);
                    src[d] += start;
                });
            }
            case "Expand":
            {
                var target = Dims!;
                int lead = target.Length - rank;
                var s = target.Select((t, i) => t == -1 ? shape[i - lead] : t).ToArray();
                return m.Map(s, (idx, src) =>
                {
                    for (int i = 0; i < rank; i++) src[i] = shape[i] == 1 ? 0 : idx[i + lead];
                });
            }
            case "Unsqueeze":
            {
                int d = Wrap(A, rank + 1);
                var s = shape.Take(d).Append(1).Concat(shape.Skip(d)).ToArray();
                return m.Map(s, (idx, src) =>
                {
                    for (int i = 0, j = 0; i < s.Length; i++)
                        if (i != d) src[j++] = idx[i];
                });
            }
            case "Select":
            {
                int d = Wrap(A, rank), index = Wrap(B, shape[d]);
                var s = shape.Where((_, i) => i != d).ToArray();
                return m.Map(s, (idx, src) =>
                {
                    for (int i = 0, j = 0; i < rank; i++) src[i] = i == d ? index : idx[j++];
                });
            }
            default:
                throw new InvalidOperationException(Kind);
        }
    }

    /// <summary>
    /// Turns four random numbers into a valid op for a tensor of <paramref name="shape"/> (null when the kind does
    /// not apply, e.g. Select on a scalar). Dims come both positive and negative.
    /// </summary>
    public static ViewOp? Choose(int[] shape, int[] r)
    {
        int rank = shape.Length;
        var rnd = new System.Random(r[3]);
        int Dim() => rank == 0 ? 0 : rnd.Next(2) == 0 ? r[1] % rank : r[1] % rank - rank;
        switch (r[0] % 7)
        {
            case 0:
                return rank == 0 ? new ViewOp("Transpose", 0, -1) : new ViewOp("Transpose", Dim(), rnd.Next(-rank, rank));
            case 1:
            {
                var p = Enumerable.Range(0, rank).OrderBy(_ => rnd.Next()).Select(d => rnd.Next(3) == 0 ? d - rank : d).ToArray();
                return new ViewOp("Permute", Dims: p);
            }
            case 2:
            {
                if (rank == 0) return null;
                int d = Dim(), size = shape[d < 0 ? d + rank : d];
                return new ViewOp("Slice", d, rnd.Next(-size - 2, size + 3), rnd.Next(-size - 2, size + 3), [1 + r[2] % 3]);
            }
            case 3:
            {
                if (rank == 0) return null;
                int d = Dim(), size = shape[d < 0 ? d + rank : d];
                int start = rnd.Next(-size, size + 1);
                int from = start < 0 ? start + size : start;
                return new ViewOp("Narrow", d, start, rnd.Next(0, size - from + 1));
            }
            case 4:
            {
                int lead = rnd.Next(0, 3);
                var target = new int[lead + rank];
                for (int i = 0; i < lead; i++) target[i] = rnd.Next(0, 4);
                int[] fromOne = [1, 2, 3, 0, -1];
                for (int i = 0; i < rank; i++)
                    target[lead + i] = shape[i] == 1 ? fromOne[rnd.Next(fromOne.Length)] : rnd.Next(3) == 0 ? -1 : shape[i];
                long count = 1;
                for (int i = 0; i < target.Length; i++) count *= target[i] == -1 ? shape[i - lead] : target[i];
                return count > 20_000 ? null : new ViewOp("Expand", Dims: target);
            }
            case 5:
                return new ViewOp("Unsqueeze", rnd.Next(-rank - 1, rank + 1));
            default:
            {
                if (rank == 0) return null;
                int d = Dim(), size = shape[d < 0 ? d + rank : d];
                return size == 0 ? null : new ViewOp("Select", d, rnd.Next(-size, size));
            }
        }
    }
}

/// <summary>
/// A random layout: arange over a base shape (rank 0–5, sizes 0–5) and up to four view ops, plus the random numbers
/// a property may turn into a target shape.
/// </summary>
internal sealed record LayoutCase(int[] Base, int[][] Choices, int[] Extra)
{
    /// <summary>Sizes 0–5 with 0 kept rare, so that most tensors are not empty.</summary>
    static readonly Gen<int> Size = CsCheck.Gen.Int[0, 24].Select(v => v < 2 ? 0 : 1 + (v - 2) % 5);

    public static readonly Gen<LayoutCase> Generator =
        CsCheck.Gen.Select(Size.Array[0, 5], CsCheck.Gen.Int[0, 1 << 20].Array[4].Array[0, 4], CsCheck.Gen.Int[0, 1 << 20].Array[6],
            (b, c, e) => new LayoutCase(b, c, e));

    /// <summary>The ops, each chosen for the shape the previous ones produced (computed by the reference model).</summary>
    public IReadOnlyList<ViewOp> Ops => _ops ??= Interpret();

    IReadOnlyList<ViewOp>? _ops;

    List<ViewOp> Interpret()
    {
        var ops = new List<ViewOp>();
        var shape = Base;
        foreach (var r in Choices)
        {
            var op = ViewOp.Choose(shape, r);
            if (op is null) continue;
            ops.Add(op);
            shape = op.Apply(new ViewModel(shape, new long[ViewModel.Count(shape)])).Shape;
        }
        return ops;
    }

    /// <summary>The tensor, the rule's layout and the model after all ops.</summary>
    public (Tensor Tensor, Layout<int> Layout, ViewModel Model) Build()
    {
        var t = Tensor.Arange(ViewModel.Count(Base)).Reshape(Base);
        var layout = Rules.Contiguous(Base);
        var model = ViewModel.Arange(Base);
        foreach (var op in Ops)
        {
            t = op.Apply(t);
            layout = op.Apply(layout);
            model = op.Apply(model);
        }
        return (t, layout, model);
    }

    /// <summary>
    /// A target shape for View/Reshape from the extra numbers: usually a factorization of <paramref name="count"/>
    /// with 1s inserted and sometimes a -1; sometimes a shape with the wrong count or two -1s.
    /// </summary>
    public int[] Target(long count, int salt = 0)
    {
        var rnd = new System.Random(Extra[0] ^ salt * 7919);
        int mode = (Extra[1] + salt) % 12;
        if (mode == 0)
            return Enumerable.Range(0, rnd.Next(0, 4)).Select(_ => rnd.Next(0, 7)).ToArray();
        var dims = new List<int>();
        if (count == 0)
        {
            int k = rnd.Next(1, 4);
            for (int i = 0; i < k; i++) dims.Add(rnd.Next(1, 4));
            dims[rnd.Next(k)] = 0;
        }
        else
        {
            int bins = rnd.Next(1, 5);
            for (int i = 0; i < bins; i++) dims.Add(1);
            long rest = count;
            for (int p = 2; rest > 1; p++)
                while (rest % p == 0)
                {
                    dims[rnd.Next(bins)] *= p;
                    rest /= p;
                }
            if (count == 1 && mode == 11) dims.Clear();
        }
        for (int ones = rnd.Next(0, 3); ones > 0; ones--) dims.Insert(rnd.Next(dims.Count + 1), 1);
        if (mode is 1 or 2 or 3 && dims.Count > 0) dims[rnd.Next(dims.Count)] = -1;
        if (mode == 4 && dims.Count > 1)
        {
            dims[0] = -1;
            dims[^1] = -1;
        }
        return dims.ToArray();
    }

    public override string ToString() =>
        $"arange over [{string.Join(", ", Base)}] then {(Ops.Count == 0 ? "nothing" : string.Join(" . ", Ops))}";
}
