using System.Numerics;
using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Kernels.Reduction;

namespace ShapeSafe;

// Comparisons, logic and boolean masks, as PyTorch's: comparisons promote both sides to their result type and
// return Bool; logical ops read any dtype as "nonzero"; Where, MaskedFill and boolean indexing take Bool
// conditions (PyTorch refuses other dtypes there). Any/All reduce to Bool, and Sum of a Bool tensor counts (Int64).
public partial class Tensor
{
    enum Comparison { Eq, Ne, Lt, Le, Gt, Ge }

    /// <summary><c>this == other</c> element-wise with broadcasting, as a Bool tensor (<c>torch.eq</c>).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Eq(Tensor other) => Compare(this, other, Comparison.Eq, "Eq");

    /// <summary><c>this == scalar</c> (<c>torch.eq(t, 2.5)</c>); the scalar is taken in the result type, as PyTorch does.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Eq(double scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Eq, "Eq");

    /// <summary><c>this == scalar</c> for an integer scalar (exact for Int64).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Eq(long scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Eq, "Eq");

    /// <summary><c>this != other</c> as a Bool tensor (<c>torch.ne</c>); NaN differs from everything.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Ne(Tensor other) => Compare(this, other, Comparison.Ne, "Ne");

    /// <summary><c>this != scalar</c>.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Ne(double scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Ne, "Ne");

    /// <summary><c>this != scalar</c> for an integer scalar.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Ne(long scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Ne, "Ne");

    /// <summary><c>this &lt; other</c> as a Bool tensor (<c>torch.lt</c>).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Lt(Tensor other) => Compare(this, other, Comparison.Lt, "Lt");

    /// <summary><c>this &lt; scalar</c>.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Lt(double scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Lt, "Lt");

    /// <summary><c>this &lt; scalar</c> for an integer scalar.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Lt(long scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Lt, "Lt");

    /// <summary><c>this &lt;= other</c> as a Bool tensor (<c>torch.le</c>).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Le(Tensor other) => Compare(this, other, Comparison.Le, "Le");

    /// <summary><c>this &lt;= scalar</c>.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Le(double scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Le, "Le");

    /// <summary><c>this &lt;= scalar</c> for an integer scalar.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Le(long scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Le, "Le");

    /// <summary><c>this &gt; other</c> as a Bool tensor (<c>torch.gt</c>).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Gt(Tensor other) => Compare(this, other, Comparison.Gt, "Gt");

    /// <summary><c>this &gt; scalar</c>.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Gt(double scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Gt, "Gt");

    /// <summary><c>this &gt; scalar</c> for an integer scalar.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Gt(long scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Gt, "Gt");

    /// <summary><c>this &gt;= other</c> as a Bool tensor (<c>torch.ge</c>).</summary>
    [ShapeContract("Broadcast")]
    public Tensor Ge(Tensor other) => Compare(this, other, Comparison.Ge, "Ge");

    /// <summary><c>this &gt;= scalar</c>.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Ge(double scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Ge, "Ge");

    /// <summary><c>this &gt;= scalar</c> for an integer scalar.</summary>
    [ShapeContract("Broadcast")]
    public Tensor Ge(long scalar) => Compare(this, ScalarFor(this, scalar), Comparison.Ge, "Ge");

    /// <summary><c>a &lt; b</c> (<see cref="Lt(Tensor)"/>).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator <(Tensor a, Tensor b) => a.Lt(b);

    /// <summary><c>a &gt; b</c> (<see cref="Gt(Tensor)"/>).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator >(Tensor a, Tensor b) => a.Gt(b);

    /// <summary><c>a &lt;= b</c> (<see cref="Le(Tensor)"/>).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator <=(Tensor a, Tensor b) => a.Le(b);

    /// <summary><c>a &gt;= b</c> (<see cref="Ge(Tensor)"/>).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator >=(Tensor a, Tensor b) => a.Ge(b);

    // ---- Logic -------------------------------------------------------------------------------------------------

    /// <summary>Element-wise "and" of the operands read as nonzero, as a Bool tensor (<c>torch.logical_and</c>).</summary>
    [ShapeContract("Broadcast")]
    public Tensor LogicalAnd(Tensor other) => ElementwiseKernel.Binary<bool, LogicalAndOp>(As(DType.Bool), other.As(DType.Bool), default, "LogicalAnd");

    /// <summary>Element-wise "or" of the operands read as nonzero (<c>torch.logical_or</c>).</summary>
    [ShapeContract("Broadcast")]
    public Tensor LogicalOr(Tensor other) => ElementwiseKernel.Binary<bool, LogicalOrOp>(As(DType.Bool), other.As(DType.Bool), default, "LogicalOr");

    /// <summary>Element-wise "exclusive or" of the operands read as nonzero (<c>torch.logical_xor</c>).</summary>
    [ShapeContract("Broadcast")]
    public Tensor LogicalXor(Tensor other) => ElementwiseKernel.Binary<bool, LogicalXorOp>(As(DType.Bool), other.As(DType.Bool), default, "LogicalXor");

    /// <summary>True where the element is zero (<c>torch.logical_not</c>); NaN is nonzero, so it gives false.</summary>
    [ShapeContract("SameShape")]
    public Tensor LogicalNot() => ElementwiseKernel.Binary<bool, LogicalXorOp>(As(DType.Bool), Scalar(true), default, "LogicalNot");

    /// <summary><c>a &amp; b</c> for Bool tensors (PyTorch's bitwise and, which is logical on bools).</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator &(Tensor a, Tensor b) => RequireBool(a, b, "BitwiseAnd").LogicalAnd(b);

    /// <summary><c>a | b</c> for Bool tensors.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator |(Tensor a, Tensor b) => RequireBool(a, b, "BitwiseOr").LogicalOr(b);

    /// <summary><c>a ^ b</c> for Bool tensors.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor operator ^(Tensor a, Tensor b) => RequireBool(a, b, "BitwiseXor").LogicalXor(b);

    /// <summary><c>~a</c> for a Bool tensor (logical not).</summary>
    [ShapeContract("SameShape")]
    public static Tensor operator ~(Tensor a) => RequireBool(a, a, "BitwiseNot").LogicalNot();

    /// <summary>Whether any element is nonzero, as a 0-dim Bool tensor (<c>torch.any</c>).</summary>
    [ShapeContract("Reduce")]
    public Tensor Any() => BoolReduce(null, false, any: true, "Any");

    /// <summary>Whether any element along <paramref name="dim"/> is nonzero (Bool).</summary>
    [ShapeContract("Reduce")]
    public Tensor Any(int dim, bool keepDim = false) => BoolReduce(new[] { dim }, keepDim, any: true, "Any");

    /// <summary>Whether every element is nonzero, as a 0-dim Bool tensor (<c>torch.all</c>; true for an empty tensor).</summary>
    [ShapeContract("Reduce")]
    public Tensor All() => BoolReduce(null, false, any: false, "All");

    /// <summary>Whether every element along <paramref name="dim"/> is nonzero (Bool).</summary>
    [ShapeContract("Reduce")]
    public Tensor All(int dim, bool keepDim = false) => BoolReduce(new[] { dim }, keepDim, any: false, "All");

    // ---- Masks -------------------------------------------------------------------------------------------------

    /// <summary>
    /// <c>condition ? x : y</c> element-wise, all three broadcast together (<c>torch.where</c>). The condition must be
    /// Bool; the result has <see cref="ResultType(Tensor, Tensor)"/> of x and y. Differentiable in x and y.
    /// </summary>
    [ShapeContract("Broadcast")]
    public static Tensor Where(Tensor condition, Tensor x, Tensor y)
    {
        RequireBoolCondition(condition, "Where", "condition");
        var outSizes = Rules.Broadcast(Rules.Broadcast(condition.Sizes, x.Sizes, "Where"), y.Sizes, "Where");
        var dtype = ResultType(x, y);
        var result = SelectForward(condition, x.As(dtype), y.As(dtype), outSizes);
        return MustRecord(x, y) ? RecordWhere(result, condition, x, y) : result;
    }

    /// <summary><c>torch.where(condition, x, scalar)</c>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Where(Tensor condition, Tensor x, double y) => Where(condition, x, ScalarFor(x, y));

    /// <summary><c>torch.where(condition, scalar, y)</c>.</summary>
    [ShapeContract("Broadcast")]
    public static Tensor Where(Tensor condition, double x, Tensor y) => Where(condition, ScalarFor(y, x), y);

    /// <summary>
    /// A copy with <paramref name="value"/> where <paramref name="mask"/> (Bool, broadcast to this shape) is true
    /// (<c>masked_fill</c>); the dtype stays this tensor's. Differentiable in this tensor (zero where filled).
    /// </summary>
    [ShapeContract("SameShape")]
    public Tensor MaskedFill(Tensor mask, double value) => MaskedFill(mask, Scalar(value).As(DType), "MaskedFill");

    /// <summary><see cref="MaskedFill(Tensor, double)"/> with an integer value (exact for Int64).</summary>
    [ShapeContract("SameShape")]
    public Tensor MaskedFill(Tensor mask, long value) => MaskedFill(mask, Scalar(value).As(DType), "MaskedFill");

    /// <summary><c>masked_fill</c> with a 0-dim value tensor (differentiable in the value too: the sum of the filled gradient).</summary>
    [ShapeContract("SameShape")]
    public Tensor MaskedFill(Tensor mask, Tensor value)
    {
        if (value.Rank != 0)
            throw new ArgumentException($"MaskedFill: only supports a 0-dimensional value tensor, but got tensor with {value.Rank} dimension(s) (shape {Rules.Format(value.Sizes)})", nameof(value));
        return MaskedFill(mask, value, "MaskedFill");
    }

    /// <summary>In-place <see cref="MaskedFill(Tensor, double)"/> (<c>masked_fill_</c>); returns this tensor.</summary>
    [ShapeContract("SameShape")]
    public Tensor MaskedFillInPlace(Tensor mask, double value)
    {
        CheckInPlaceAutograd("MaskedFillInPlace");
        CheckMaskFits(mask, "MaskedFillInPlace");
        var filled = SelectForward(mask.Sizes.AsSpan().SequenceEqual(Sizes) ? mask : mask.BroadcastTo(Sizes), Scalar(value).As(DType), this, (int[])Sizes.Clone());
        return CopyFrom(filled);
    }

    /// <summary>
    /// The elements where <paramref name="mask"/> (Bool, broadcast with this tensor) is true, as a 1-D tensor in
    /// row-major order (<c>torch.masked_select</c>). Differentiable.
    /// </summary>
    public Tensor MaskedSelect(Tensor mask)
    {
        RequireBoolCondition(mask, "MaskedSelect", "mask");
        var shape = Rules.Broadcast(Sizes, mask.Sizes, "MaskedSelect");
        var positions = TruePositions(mask.Sizes.AsSpan().SequenceEqual(shape) ? mask : mask.BroadcastTo(shape));
        var source = Sizes.AsSpan().SequenceEqual(shape) ? this : BroadcastTo(shape);
        return source.GatherRows(positions, 1, new[] { positions.Length }, "MaskedSelectBackward");
    }

    /// <summary>
    /// <c>t[mask]</c> for a Bool mask over the leading dims (its shape must equal them): the selected sub-tensors
    /// stacked, shape <c>[count, rest...]</c>; an Int64 vector selects rows (<see cref="IndexSelect"/>). Setting
    /// writes a value (0-dim, or broadcast to the selection's shape) into those places.
    /// </summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[Tensor indices]
    {
        get
        {
            if (indices.DType == DType.Int64) return IndexSelect(0, indices.Rank == 0 ? indices.Reshape(1) : indices).Squeeze0If(indices.Rank == 0);
            var (rows, lead) = MaskRows(indices);
            int rowLength = lead == 0 ? 0 : (int)(CountOf(Sizes) / lead);
            return GatherRows(rows, rowLength, PrependSize(rows.Length, Sizes.AsSpan(indices.Rank)), "IndexBackward");
        }
        set
        {
            CheckInPlaceAutograd("IndexPut", value);
            if (indices.DType == DType.Int64)
            {
                var idx = indices.Rank == 0 ? indices.Reshape(1) : indices;
                var src = value.BroadcastTo(PrependSize(idx.Size(0), Sizes.AsSpan(1)));
                var ids = idx.ToInt64Array();
                CheckIndices("IndexPut", ids, Size(0), nameof(indices), () => $"shape {Rules.Format(Sizes)}");
                for (int i = 0; i < ids.Length; i++) Select(0, (int)ids[i]).CopyFrom(src.Select(0, i));
                return;
            }
            var (rows, _) = MaskRows(indices);
            var selection = value.BroadcastTo(PrependSize(rows.Length, Sizes.AsSpan(indices.Rank)));
            var leadSizes = Sizes.AsSpan(0, indices.Rank).ToArray();
            var lead = new int[leadSizes.Length];
            for (int k = 0; k < rows.Length; k++)
            {
                long r = rows[k];
                for (int d = leadSizes.Length - 1; d >= 0; d--)
                {
                    lead[d] = (int)(r % leadSizes[d]);
                    r /= leadSizes[d];
                }
                var target = this;
                foreach (var i in lead) target = target.Select(0, i);
                target.CopyFrom(selection.Select(0, k));
            }
        }
    }

    // ---- Implementation ----------------------------------------------------------------------------------------

    static Tensor Compare(Tensor a, Tensor b, Comparison cmp, string name)
    {
        var dtype = ResultType(a, b);
        // Bools compare as 0 and 1; BFloat16 widens to float32 exactly.
        if (dtype == DType.Bool) dtype = DType.Int64;
        if (dtype == DType.BFloat16) dtype = DType.Float32;
        if (a.DType != dtype || b.DType != dtype)
        {
            if (!a.Sizes.AsSpan().SequenceEqual(b.Sizes)) Rules.Broadcast(a.Sizes, b.Sizes, name);
            a = a.As(dtype);
            b = b.As(dtype);
        }
        return dtype switch
        {
            DType.Float32 => Compare<float>(a, b, cmp, name),
            DType.Float64 => Compare<double>(a, b, cmp, name),
            _ => Compare<long>(a, b, cmp, name),
        };
    }

    static Tensor Compare<T>(Tensor a, Tensor b, Comparison cmp, string name) where T : INumber<T> => cmp switch
    {
        Comparison.Eq => ComparisonKernel.Compare<T, EqComparison<T>>(a, b, name),
        Comparison.Ne => ComparisonKernel.Compare<T, NeComparison<T>>(a, b, name),
        Comparison.Lt => ComparisonKernel.Compare<T, LtComparison<T>>(a, b, name),
        Comparison.Le => ComparisonKernel.Compare<T, LeComparison<T>>(a, b, name),
        Comparison.Gt => ComparisonKernel.Compare<T, GtComparison<T>>(a, b, name),
        _ => ComparisonKernel.Compare<T, GeComparison<T>>(a, b, name),
    };

    /// <summary>A floating C# scalar as the 0-dim tensor PyTorch wraps it in, already in the result type with <paramref name="t"/>.</summary>
    static Tensor ScalarFor(Tensor t, double value)
    {
        var dtype = ResultType(t, value);
        return dtype == DType.Float64 ? Scalar(value) : Scalar((float)value).As(dtype);
    }

    static Tensor ScalarFor(Tensor t, long value)
    {
        var dtype = ResultType(t, value);
        return dtype == DType.Int64 ? Scalar(value) : Scalar(value).As(dtype);
    }

    static Tensor RequireBool(Tensor a, Tensor b, string op) => a.DType == DType.Bool && b.DType == DType.Bool
        ? a
        : throw new ArgumentException($"{op}: the operators &, |, ^ and ~ take Bool tensors here, got {a.DType} {Rules.Format(a.Sizes)} and {b.DType} {Rules.Format(b.Sizes)}; use LogicalAnd/LogicalOr/LogicalXor/LogicalNot for other dtypes");

    static void RequireBoolCondition(Tensor t, string op, string what)
    {
        if (t.DType != DType.Bool)
            throw new ArgumentException($"{op}: expected {what} to be a Bool tensor, but got a tensor with dtype {t.DType} (shape {Rules.Format(t.Sizes)}); compare first (for example t.Ne(0))", what);
    }

    void CheckMaskFits(Tensor mask, string op)
    {
        RequireBoolCondition(mask, op, "mask");
        var shape = Rules.Broadcast(Sizes, mask.Sizes, op);
        if (!shape.AsSpan().SequenceEqual(Sizes))
            throw new ShapeException(op, $"the mask of shape {Rules.Format(mask.Sizes)} does not broadcast to the tensor's shape {Rules.Format(Sizes)}");
    }

    Tensor MaskedFill(Tensor mask, Tensor value, string op)
    {
        CheckMaskFits(mask, op);
        var fill = value.As(DType);
        var result = SelectForward(mask, fill, this, (int[])Sizes.Clone());
        if (!MustRecord(this, value)) return result;
        bool needSelf = RequiresGrad, needValue = value.RequiresGrad;
        return result.Recorded("MaskedFillBackward", new Tensor?[] { this, value }, g => new Tensor?[]
        {
            needSelf ? Where(mask, Zeros(Array.Empty<int>(), g.DType), g) : null,
            needValue ? Where(mask, g, Zeros(Array.Empty<int>(), g.DType)).Sum() : null,
        });
    }

    static Tensor SelectForward(Tensor condition, Tensor x, Tensor y, int[] outSizes)
    {
        var c = condition.Sizes.AsSpan().SequenceEqual(outSizes) && condition.IsContiguous
            ? condition
            : condition.BroadcastTo(outSizes).Contiguous();
        return x.DType switch
        {
            DType.Float32 => ComparisonKernel.Select<float>(c, x, y, outSizes),
            DType.Int64 => ComparisonKernel.Select<long>(c, x, y, outSizes),
            DType.Bool => ComparisonKernel.Select<bool>(c, x, y, outSizes),
            DType.Float64 => ComparisonKernel.Select<double>(c, x, y, outSizes),
            _ => ComparisonKernel.Select<ushort>(c, x, y, outSizes),
        };
    }

    static Tensor RecordWhere(Tensor result, Tensor condition, Tensor x, Tensor y)
    {
        bool needX = x.RequiresGrad, needY = y.RequiresGrad;
        return result.Recorded("WhereBackward", new Tensor?[] { x, y }, g =>
        {
            var zero = Zeros(Array.Empty<int>(), g.DType);
            return new Tensor?[]
            {
                needX ? GradientKernels.SumToShape(Where(condition, g, zero), x.Sizes) : null,
                needY ? GradientKernels.SumToShape(Where(condition, zero, g), y.Sizes) : null,
            };
        });
    }

    /// <summary>The row-major positions of the true elements of a Bool tensor.</summary>
    static long[] TruePositions(Tensor mask)
    {
        var bits = mask.ToBoolArray();
        int count = 0;
        foreach (var b in bits) if (b) count++;
        var positions = new long[count];
        for (int i = 0, k = 0; i < bits.Length; i++)
            if (bits[i]) positions[k++] = i;
        return positions;
    }

    (long[] Rows, int Lead) MaskRows(Tensor mask)
    {
        RequireBoolCondition(mask, "Index", "indices");
        if (mask.Rank > Rank)
            throw new ShapeException("Index", $"too many indices for tensor of dimension {Rank}: a mask of shape {Rules.Format(mask.Sizes)} for shape {Rules.Format(Sizes)}");
        for (int d = 0; d < mask.Rank; d++)
            if (mask.Sizes[d] != Sizes[d])
                throw new ShapeException("Index", $"the shape of the mask {Rules.Format(mask.Sizes)} at index {d} does not match the shape of the indexed tensor {Rules.Format(Sizes)} at index {d}");
        return (TruePositions(mask), (int)CountOf(mask.Sizes));
    }

    /// <summary>
    /// Rows <paramref name="rows"/> (each <paramref name="rowLength"/> elements of this tensor in row-major order) copied
    /// into a new tensor of <paramref name="outShape"/>; the backward adds the gradient back into those rows.
    /// </summary>
    Tensor GatherRows(long[] rows, int rowLength, int[] outShape, string gradFn)
    {
        var source = IsContiguous ? this : Contiguous();
        var result = Uninitialized(DType, outShape);
        var src = source.Storage;
        for (int k = 0; k < rows.Length; k++)
            CopyElements(src, source.Offset + (int)rows[k] * rowLength, result.Storage, k * rowLength, rowLength);
        if (!MustRecord(this)) return result;
        var inputSizes = Sizes;
        return result.Recorded(gradFn, new Tensor?[] { this }, g =>
        {
            var gc = g.Contiguous();
            var grad = Zeros(inputSizes, g.DType == DType.BFloat16 ? DType.Float32 : g.DType);
            var gs = g.DType == DType.BFloat16 ? gc.As(DType.Float32) : gc;
            for (int k = 0; k < rows.Length; k++)
                if (grad.DType == DType.Float64)
                    System.Numerics.Tensors.TensorPrimitives.Add(grad.DoubleData.AsSpan((int)rows[k] * rowLength, rowLength), gs.DoubleData.AsSpan(gs.Offset + k * rowLength, rowLength), grad.DoubleData.AsSpan((int)rows[k] * rowLength, rowLength));
                else
                    System.Numerics.Tensors.TensorPrimitives.Add(grad.FloatData.AsSpan((int)rows[k] * rowLength, rowLength), gs.FloatData.AsSpan(gs.Offset + k * rowLength, rowLength), grad.FloatData.AsSpan((int)rows[k] * rowLength, rowLength));
            return new Tensor?[] { grad.As(g.DType) };
        });
    }

    static void CopyElements(Storage src, int srcOffset, Storage dst, int dstOffset, int count)
    {
        switch (src.DType)
        {
            case DType.Float32: Array.Copy(src.Floats!, srcOffset, dst.Floats!, dstOffset, count); break;
            case DType.Int64: Array.Copy(src.Longs!, srcOffset, dst.Longs!, dstOffset, count); break;
            case DType.Bool: Array.Copy(src.Bools!, srcOffset, dst.Bools!, dstOffset, count); break;
            case DType.Float64: Array.Copy(src.Doubles!, srcOffset, dst.Doubles!, dstOffset, count); break;
            default: Array.Copy(src.BFloat16s!, srcOffset, dst.BFloat16s!, dstOffset, count); break;
        }
    }

    static int[] PrependSize(int first, ReadOnlySpan<int> rest)
    {
        var shape = new int[rest.Length + 1];
        shape[0] = first;
        rest.CopyTo(shape.AsSpan(1));
        return shape;
    }

    Tensor Squeeze0If(bool squeeze) => squeeze ? Select(0, 0) : this;

    Tensor BoolReduce(int[]? dims, bool keepDim, bool any, string op)
    {
        var outShape = Rules.Reduce(Sizes, dims, keepDim, op);
        var reduced = Rules.ReducedDims(Sizes, dims, op);
        var plan = ReductionPlan.Create(Detach().As(DType.Bool), reduced);
        var result = Uninitialized(DType.Bool, outShape);
        var src = plan.Source.BoolData;
        var dst = result.BoolData;
        int outer = plan.Outer, r = plan.Reduced, inner = plan.Inner;
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                bool acc = !any;
                for (int k = 0, p = plan.Start + o * r * inner + i; k < r; k++, p += inner)
                    if (src[p] == any) { acc = any; break; }
                dst[o * inner + i] = acc;
            }
        return result;
    }
}
