using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Strided;
using ShapeSafe.Tracing;

namespace ShapeSafe;

// View and shape ops (seed sections 1 and 3). Views share storage; the rest copy. Each one runs
// its rule from ShapeSafe.Shapes, so the engine and the analyzers agree on what is legal.
public partial class Tensor
{
    /// <summary>
    /// A view with a new shape over the same storage (one <c>-1</c> is inferred). Throws
    /// <see cref="ShapeException"/> when the layout cannot express it; use <see cref="Reshape"/> then.
    /// </summary>
    [ShapeContract("View")]
    public Tensor View(params int[] shape) => OpTrace.Recording
        ? OpTrace.Run("Reshape", [this], () => View(shape))
        : ViewOp("ViewBackward", l => Rules.View(l, shape));

    /// <summary>A tensor of the new shape: a view when the layout allows it (as <see cref="View"/>), else a contiguous copy.</summary>
    [ShapeContract("Reshape")]
    public Tensor Reshape(params int[] shape)
    {
        if (OpTrace.Recording) return OpTrace.Run("Reshape", [this], () => Reshape(shape));
        if (Rules.TryReshapeAsView(Layout, shape, out var sizes, out var view))
            return RecordView(WithLayout(view), "ViewBackward", l => Rules.View(l, shape, "Reshape"));
        var copy = CopyContiguous();
        var result = new Tensor(copy.Storage, sizes, Rules.ContiguousStrides(sizes), 0);
        if (!MustRecord(this)) return result;
        var inputSizes = Sizes;
        return result.Recorded("UnsafeViewBackward", new Tensor?[] { this }, g => new Tensor?[] { g.Reshape(inputSizes) });
    }

    /// <summary>This tensor when it is already contiguous; otherwise a contiguous copy (new storage).</summary>
    [ShapeContract("Contiguous")]
    public Tensor Contiguous() => IsContiguous ? this : RecordCopy(CopyContiguous());

    /// <summary>A copy in new storage. Dense layouts keep their strides (PyTorch's preserve_format); others become contiguous.</summary>
    [ShapeContract("SameShape")]
    public Tensor Clone() => Clone(MemoryFormat.Preserve);

    /// <summary>
    /// A copy in new storage laid out as <paramref name="memoryFormat"/> (PyTorch's <c>clone(memory_format=...)</c>):
    /// <see cref="MemoryFormat.ChannelsLast"/> needs a 4-D tensor and <see cref="MemoryFormat.ChannelsLast3d"/> a 5-D one.
    /// </summary>
    /// <exception cref="ShapeException">A channels-last format for a tensor of another rank.</exception>
    [ShapeContract("SameShape")]
    public Tensor Clone(MemoryFormat memoryFormat)
    {
        int[]? strides = memoryFormat switch
        {
            MemoryFormat.ChannelsLast => Rules.ChannelsLastStrides(Sizes),
            MemoryFormat.ChannelsLast3d => Rules.ChannelsLast3dStrides(Sizes),
            MemoryFormat.Preserve when TryDenseOrder(out var order) && !IsContiguous => DenseStrides(order),
            MemoryFormat.Preserve or MemoryFormat.Contiguous => null,
            _ => throw new ArgumentOutOfRangeException(nameof(memoryFormat), memoryFormat, "Clone: unknown memory format"),
        };
        if (strides is null) return RecordCopy(CopyContiguous());
        var clone = new Tensor(Storage.AllocateUninitialized(DType, Count), (int[])Sizes.Clone(), strides, 0);
        using (Autograd.NoGrad()) clone.CopyFrom(this);
        return RecordCopy(clone);
    }

    /// <summary>Strides that lay the dims out densely in <paramref name="order"/> (outermost first).</summary>
    int[] DenseStrides(int[] order)
    {
        var strides = new int[Rank];
        int s = 1;
        for (int i = order.Length - 1; i >= 0; i--)
        {
            strides[order[i]] = s;
            s *= Math.Max(Sizes[order[i]], 1);
        }
        return strides;
    }

    /// <summary>A tensor over the same storage that is cut off from autograd.</summary>
    [ShapeContract("SameShape")]
    public Tensor Detach() => new(Storage, Sizes, StrideArray, Offset);

    /// <summary>Swaps two dims (a view).</summary>
    [ShapeContract("Transpose")]
    public Tensor Transpose(int dim0, int dim1) => OpTrace.Recording
        ? OpTrace.Run("Transpose", [this], () => Transpose(dim0, dim1), ("dim0", dim0), ("dim1", dim1))
        : ViewOp("TransposeBackward", l => Rules.Transpose(l, dim0, dim1));

    /// <summary>Reorders the dims (a view): output dim i is input dim <c>dims[i]</c>.</summary>
    [ShapeContract("Permute")]
    public Tensor Permute(params int[] dims) => OpTrace.Recording
        ? OpTrace.Run("Permute", [this], () => Permute(dims), ("dims", dims))
        : ViewOp("PermuteBackward", l => Rules.Permute(l, dims));

    /// <summary>Removes every dim of size 1 (a view).</summary>
    [ShapeContract("Squeeze")]
    public Tensor Squeeze() => OpTrace.Recording
        ? OpTrace.Run("Squeeze", [this], () => Squeeze())
        : ViewOp("SqueezeBackward", l => Rules.Squeeze(l));

    /// <summary>Removes dim <paramref name="dim"/> when its size is 1 (a view; unchanged otherwise).</summary>
    [ShapeContract("Squeeze")]
    public Tensor Squeeze(int dim) => OpTrace.Recording
        ? OpTrace.Run("Squeeze", [this], () => Squeeze(dim), ("dim", dim))
        : ViewOp("SqueezeBackward", l => Rules.Squeeze(l, dim));

    /// <summary>Inserts a dim of size 1 at <paramref name="dim"/> (a view).</summary>
    [ShapeContract("Unsqueeze")]
    public Tensor Unsqueeze(int dim) => OpTrace.Recording
        ? OpTrace.Run("Unsqueeze", [this], () => Unsqueeze(dim), ("dim", dim))
        : ViewOp("UnsqueezeBackward", l => Rules.Unsqueeze(l, dim));

    /// <summary>Broadcasts size-1 dims to larger sizes without copying (stride 0); <c>-1</c> keeps a size.</summary>
    [ShapeContract("Expand")]
    public Tensor Expand(params int[] shape) => OpTrace.Recording
        ? OpTrace.Run("Expand", [this], () => Expand(shape))
        : ViewOp("ExpandBackward", l => Rules.Expand(l, shape));

    /// <summary>Broadcasts to <paramref name="shape"/> (a view, as <see cref="Expand"/>).</summary>
    [ShapeContract("Expand")]
    public Tensor BroadcastTo(params int[] shape) => ViewOp("ExpandBackward", l => Rules.Expand(l, shape, "BroadcastTo"));

    /// <summary>Tiles the tensor: dim i is repeated <c>repeats[i]</c> times (a copy).</summary>
    [ShapeContract("Repeat")]
    public Tensor Repeat(params int[] repeats)
    {
        var outSizes = Rules.Repeat(Sizes, repeats);
        var result = Uninitialized(DType, outSizes);
        if (result.NumEl == 0) return result;

        // View the result as [r0, s0, r1, s1, ...] and copy the source into it with stride 0 along each r.
        int n = repeats.Length, pad = n - Rank;
        var outStrides = result.StrideArray;
        var sizes = new int[2 * n];
        var dstStrides = new int[2 * n];
        var srcStrides = new int[2 * n];
        for (int i = 0; i < n; i++)
        {
            int s = i < pad ? 1 : Sizes[i - pad];
            sizes[2 * i] = repeats[i];
            sizes[2 * i + 1] = s;
            dstStrides[2 * i] = s * outStrides[i];
            dstStrides[2 * i + 1] = outStrides[i];
            srcStrides[2 * i] = 0;
            srcStrides[2 * i + 1] = i < pad ? 0 : StrideArray[i - pad];
        }
        if (DType == DType.Float32)
            StridedLayout.Copy(FloatData, sizes, srcStrides, Offset, result.FloatData, dstStrides, 0);
        else
            StridedLayout.Copy(LongData, sizes, srcStrides, Offset, result.LongData, dstStrides, 0);
        if (!MustRecord(this)) return result;

        // Backward: every output element adds into the source element it copied, through the same pairs.
        var inputSizes = Sizes;
        var contiguous = Rules.ContiguousStrides(inputSizes);
        var relative = new int[2 * n];
        for (int i = pad; i < n; i++) relative[2 * i + 1] = contiguous[i - pad];
        var layout = new ShapeSafe.Shapes.Layout<int>(sizes, relative, 0);
        return result.Recorded("RepeatBackward", new Tensor?[] { this }, g => new Tensor?[] { GradientKernels.ScatterAdd(g, inputSizes, layout) });
    }

    /// <summary>Merges dims <paramref name="startDim"/>..<paramref name="endDim"/> into one (a view when possible, as <see cref="Reshape"/>).</summary>
    [ShapeContract("Flatten")]
    public Tensor Flatten(int startDim = 0, int endDim = -1) => OpTrace.Active
        ? OpTrace.Run("Flatten", [this], () => FlattenCore(startDim, endDim), ("startDim", startDim), ("endDim", endDim))
        : FlattenCore(startDim, endDim);

    Tensor FlattenCore(int startDim, int endDim)
    {
        var shape = Rules.Flatten(Sizes, startDim, endDim);
        if (Rank > 0 && Rules.NormalizeDim("Flatten", startDim, Rank) == Rules.NormalizeDim("Flatten", endDim, Rank))
            return this;
        return Reshape(shape);
    }

    /// <summary>A 1-D tensor of all elements (a view when possible).</summary>
    [ShapeContract("Flatten")]
    public Tensor Ravel() => Reshape(-1);

    /// <summary>Elements <paramref name="start"/> .. start+length-1 along <paramref name="dim"/> (a view).</summary>
    [ShapeContract("Narrow")]
    public Tensor Narrow(int dim, int start, int length) => OpTrace.Recording
        ? OpTrace.Run("Slice", [this], () => Narrow(dim, start, length), ("dim", dim), ("start", start), ("end", start + length), ("step", 1))
        : ViewOp("SliceBackward", l => Rules.Narrow(l, dim, start, length));

    /// <summary>The slice at <paramref name="index"/> along <paramref name="dim"/>, without that dim (a view).</summary>
    [ShapeContract("Select")]
    public Tensor Select(int dim, int index) => OpTrace.Recording
        ? OpTrace.Run("Select", [this], () => Select(dim, index), ("dim", dim), ("index", index))
        : ViewOp("SelectBackward", l => Rules.Select(l, dim, index));

    /// <summary>Python's <c>t[..., start:end:step, ...]</c> along <paramref name="dim"/> (a view; bounds clamp).</summary>
    [ShapeContract("Slice")]
    public Tensor Slice(int dim, int start, int end, int step = 1) => OpTrace.Recording
        ? OpTrace.Run("Slice", [this], () => Slice(dim, start, end, step), ("dim", dim), ("start", start), ("end", end), ("step", step))
        : ViewOp("SliceBackward", l => Rules.Slice(l, dim, start, end, step));

    /// <summary>Every window of <paramref name="size"/> elements, <paramref name="step"/> apart, along <paramref name="dim"/>, as a new last dim (a view).</summary>
    [ShapeContract("Unfold")]
    public Tensor Unfold(int dim, int size, int step) => ViewOp("UnfoldBackward", l => Rules.Unfold(l, dim, size, step));

    /// <summary>Pieces of <paramref name="size"/> along <paramref name="dim"/> (the last may be smaller); each is a view.</summary>
    [ShapeContract("Split")]
    public Tensor[] Split(int size, int dim = 0) => SplitBySizes(Rules.SplitSizes(Sizes, size, dim), dim);

    /// <summary>Pieces with the given sizes along <paramref name="dim"/>; they must add up to the dim's size.</summary>
    [ShapeContract("Split")]
    public Tensor[] Split(int[] sizes, int dim = 0)
    {
        Rules.CheckSplitWithSizes(Sizes, sizes, dim);
        return SplitBySizes(sizes, dim);
    }

    /// <summary>
    /// Up to <paramref name="chunks"/> views along <paramref name="dim"/>, each of size ceil(n / chunks) but the last
    /// (PyTorch: 10 in 3 chunks gives 4, 4, 2).
    /// </summary>
    [ShapeContract("Chunk")]
    public Tensor[] Chunk(int chunks, int dim = 0) => SplitBySizes(Rules.ChunkSizes(Sizes, chunks, dim), dim);

    Tensor[] SplitBySizes(int[] sizes, int dim)
    {
        int d = Rules.NormalizeDim("Split", dim, Rank, Sizes);
        var pieces = new Tensor[sizes.Length];
        int start = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            pieces[i] = Narrow(d, start, sizes[i]);
            start += sizes[i];
        }
        return pieces;
    }

    /// <summary>The entries at <paramref name="index"/> (Int64, 0-D or 1-D) along <paramref name="dim"/> (a copy).</summary>
    [ShapeContract("IndexSelect")]
    public Tensor IndexSelect(int dim, Tensor index)
    {
        if (index.DType != DType.Int64)
            throw new ArgumentException($"IndexSelect: index must be Int64, got {index.DType} (shape {Rules.Format(index.Sizes)})", nameof(index));
        var outShape = Rules.IndexSelect(Sizes, dim, index.Sizes);
        var idx = index.ToInt64Array();
        var result = Uninitialized(DType, outShape);
        if (Rank == 0)
        {
            CheckIndices("IndexSelect", idx, 1, nameof(index), () => "a 0-dim tensor has one entry");
            result.CopyFrom(this);
            return result;
        }
        int d = Rules.NormalizeDim("IndexSelect", dim, Rank, Sizes);
        int size = Sizes[d];
        var sizes = Sizes;
        CheckIndices("IndexSelect", idx, size, nameof(index), () => $"dimension {d} of shape {Rules.Format(sizes)}");
        using (Autograd.NoGrad())
        {
            var target = outShape.Length == Rank ? result : result.Unsqueeze(d);
            for (int i = 0; i < idx.Length; i++)
                target.Select(d, i).CopyFrom(Select(d, (int)idx[i]));
        }
        if (!MustRecord(this)) return result;
        var inputSizes = Sizes;
        bool scalarIndex = outShape.Length != Rank;
        return result.Recorded("IndexSelectBackward", new Tensor?[] { this, null }, g =>
        {
            // A Float64 gradient stays Float64 (gradcheck runs in double); other dtypes accumulate in Float32.
            bool wide = g.DType == DType.Float64;
            var grad = Zeros(inputSizes, wide ? DType.Float64 : DType.Float32);
            var rows = scalarIndex ? g.Unsqueeze(d) : g;
            if (!wide && rows.DType != DType.Float32) rows = rows.ToDType(DType.Float32);
            for (int i = 0; i < idx.Length; i++)
                GradientKernels.AddInto(grad.Select(d, (int)idx[i]), rows.Select(d, i));
            return new Tensor?[] { grad, null };
        });
    }

    /// <summary>Joins tensors along an existing dim; all other sizes must match. Mixed dtypes promote as <see cref="PromoteTypes"/> does.</summary>
    [ShapeContract("Cat")]
    public static Tensor Cat(IEnumerable<Tensor> tensors, int dim = 0)
    {
        var list = tensors as IReadOnlyList<Tensor> ?? tensors.ToArray();
        if (OpTrace.Recording) return OpTrace.Run("Cat", list.ToArray(), () => Cat(list, dim), ("dim", dim));
        var shapes = new int[list.Count][];
        for (int i = 0; i < shapes.Length; i++) shapes[i] = list[i].Sizes;
        var outShape = Rules.Cat(shapes, dim);
        var dtype = PromoteAll(list);
        var result = Uninitialized(dtype, outShape);
        if (result.NumEl == 0) return result;
        int d = Rules.NormalizeDim("Cat", dim, outShape.Length, outShape);
        int at = 0;
        var starts = new int[list.Count];
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < list.Count; i++)
            {
                var t = list[i];
                starts[i] = at;
                if (t.Rank == 1 && t.Sizes[0] == 0 && outShape.Length != 1) continue;
                result.Narrow(d, at, t.Sizes[d]).CopyFrom(t);
                at += t.Sizes[d];
            }
        }
        if (!AnyRecords(list)) return result;
        var inputs = list.ToArray();
        return result.Recorded("CatBackward", inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
                grads[i] = inputs[i].RequiresGrad && !(inputs[i].Rank == 1 && inputs[i].Sizes[0] == 0 && g.Rank != 1)
                    ? g.Narrow(d, starts[i], inputs[i].Sizes[d]).Contiguous()
                    : null;
            return grads;
        });
    }

    /// <summary>Joins equally shaped tensors along a new dim <paramref name="dim"/>.</summary>
    [ShapeContract("Stack")]
    public static Tensor Stack(IEnumerable<Tensor> tensors, int dim = 0)
    {
        var list = tensors as IReadOnlyList<Tensor> ?? tensors.ToArray();
        var shapes = new int[list.Count][];
        for (int i = 0; i < shapes.Length; i++) shapes[i] = list[i].Sizes;
        var outShape = Rules.Stack(shapes, dim);
        int d = Rules.NormalizeDim("Stack", dim, outShape.Length, outShape);
        var result = Uninitialized(PromoteAll(list), outShape);
        using (Autograd.NoGrad())
        {
            for (int i = 0; i < list.Count; i++)
                result.Select(d, i).CopyFrom(list[i]);
        }
        if (!AnyRecords(list)) return result;
        var inputs = list.ToArray();
        return result.Recorded("StackBackward", inputs, g =>
        {
            var grads = new Tensor?[inputs.Length];
            for (int i = 0; i < inputs.Length; i++)
                grads[i] = inputs[i].RequiresGrad ? g.Select(d, i).Contiguous() : null;
            return grads;
        });
    }

    /// <summary>Copies <paramref name="source"/> into this tensor (in place), broadcasting it to this shape and converting its dtype.</summary>
    public Tensor CopyFrom(Tensor source)
    {
        CheckInPlace("CopyFrom");
        var src = source.Sizes.AsSpan().SequenceEqual(Sizes)
            ? source
            : source.WithLayout(Rules.Expand(source.Layout, Sizes, "CopyFrom"));
        if (src.DType != DType) src = src.ToDType(DType);
        else if (ReferenceEquals(src.Storage, Storage)) src = src.CopyContiguous();
        StridedCopy(src, Sizes, this);
        return this;
    }

    /// <summary>
    /// A copy converted to <paramref name="dtype"/> (this tensor itself when it already has that dtype), with
    /// ATen's casts: floats to integers truncate, to Bool is "nonzero", float32 to BFloat16 rounds to nearest even.
    /// Differentiable between floating dtypes (PyTorch's <c>ToCopyBackward</c>: the gradient is cast back).
    /// </summary>
    public Tensor ToDType(DType dtype)
    {
        if (dtype == DType) return this;
        var result = Create(ConvertedStorage(dtype), (int[])Sizes.Clone());
        if (!MustRecord(this) || !IsFloating(dtype)) return result;
        var from = DType;
        return result.Recorded("ToCopyBackward", new Tensor?[] { this }, g => new Tensor?[] { g.ToDType(from) });
    }

    Tensor CopyContiguous()
    {
        var result = Uninitialized(DType, (int[])Sizes.Clone());
        if (result.NumEl == 0) return result;
        StridedCopy(this, Sizes, result);
        return result;
    }

    /// <summary>Copies <paramref name="src"/> (read through its strides as <paramref name="sizes"/>) into <paramref name="dst"/>; both have one dtype.</summary>
    static void StridedCopy(Tensor src, int[] sizes, Tensor dst)
    {
        switch (dst.DType)
        {
            case DType.Float32: StridedLayout.Copy(src.FloatData, sizes, src.StrideArray, src.Offset, dst.FloatData, dst.StrideArray, dst.Offset); break;
            case DType.Int64: StridedLayout.Copy(src.LongData, sizes, src.StrideArray, src.Offset, dst.LongData, dst.StrideArray, dst.Offset); break;
            case DType.Bool: StridedLayout.Copy(src.BoolData, sizes, src.StrideArray, src.Offset, dst.BoolData, dst.StrideArray, dst.Offset); break;
            case DType.Float64: StridedLayout.Copy(src.DoubleData, sizes, src.StrideArray, src.Offset, dst.DoubleData, dst.StrideArray, dst.Offset); break;
            default: StridedLayout.Copy(src.BFloat16Data, sizes, src.StrideArray, src.Offset, dst.BFloat16Data, dst.StrideArray, dst.Offset); break;
        }
    }

    /// <summary>Applies a view rule to this tensor's layout and records the view for autograd.</summary>
    Tensor ViewOp(string gradFn, Func<ShapeSafe.Shapes.Layout<int>, ShapeSafe.Shapes.Layout<int>> op)
    {
        ShapeSafe.Shapes.Layout<int> layout;
        try
        {
            layout = op(Layout);
        }
        catch (OverflowException)
        {
            // Strides and offsets are ints; only views of empty tensors (whose strides may be huge) or with huge steps get here.
            string name = gradFn.EndsWith("Backward", StringComparison.Ordinal) ? gradFn[..^"Backward".Length] : gradFn;
            throw new ShapeException(name, $"the view's strides or offset do not fit in 32-bit integers (input shape {Rules.Format(Sizes)}, strides {Rules.Format(StrideArray)})");
        }
        return RecordView(WithLayout(layout), gradFn, op);
    }

    /// <summary>Records a copy of this tensor (Contiguous, Clone): the gradient passes through unchanged.</summary>
    Tensor RecordCopy(Tensor copy) =>
        MustRecord(this) ? copy.Recorded("CloneBackward", new Tensor?[] { this }, g => new Tensor?[] { g }) : copy;

    static bool AnyRecords(IReadOnlyList<Tensor> tensors)
    {
        if (!Autograd.IsGradEnabled) return false;
        foreach (var t in tensors)
            if (t.RequiresGrad) return true;
        return false;
    }

    /// <summary>True with the dims ordered outermost-first when the layout is a permutation of a contiguous one.</summary>
    bool TryDenseOrder(out int[] order)
    {
        order = Enumerable.Range(0, Rank).ToArray();
        var strides = StrideArray;
        var sizes = Sizes;
        Array.Sort(order, (x, y) => strides[y].CompareTo(strides[x]) != 0 ? strides[y].CompareTo(strides[x]) : x.CompareTo(y));
        int expected = 1;
        for (int i = order.Length - 1; i >= 0; i--)
        {
            int d = order[i];
            if (sizes[d] == 1) continue;
            if (strides[d] != expected) return false;
            expected *= sizes[d];
        }
        return true;
    }

    /// <summary>
    /// torch.cat's result dtype: the promotion of every input's (Float64 stays Float64, Bool stays Bool, Int64 with
    /// Float32 is Float32); Float32 for no inputs.
    /// </summary>
    static DType PromoteAll(IReadOnlyList<Tensor> tensors)
    {
        if (tensors.Count == 0) return DType.Float32;
        var dtype = tensors[0].DType;
        for (int i = 1; i < tensors.Count; i++) dtype = PromoteTypes(dtype, tensors[i].DType);
        return dtype;
    }
}
