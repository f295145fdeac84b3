using System.Numerics.Tensors;
using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Kernels.Memory;
using ShapeSafe.Kernels.Strided;
using ShapeSafe.Shapes;

namespace ShapeSafe.Gradients;

/// <summary>
/// The gradient math shared by every view and broadcasting op. A view's backward is always the same:
/// scatter-add the output's gradient into zeros of the input's shape through the view's layout
/// (taken relative to a contiguous input). That one kernel covers transpose, permute, slicing,
/// select, expand (summing over broadcast dims), unfold (overlapping windows add up) and repeat.
/// </summary>
internal static class GradientKernels
{
    /// <summary>a + b for two Float32 tensors of one shape, into a new contiguous tensor.</summary>
    public static Tensor Add(Tensor a, Tensor b)
    {
        if (!a.Sizes.AsSpan().SequenceEqual(b.Sizes))
            throw new ShapeException("AccumulateGrad", $"gradient shapes {Rules.Format(a.Sizes)} and {Rules.Format(b.Sizes)} differ");
        if (a.DType != DType.Float32 || b.DType != DType.Float32) return Tensor.Add(a, b).Contiguous();
        var x = a.Contiguous();
        var y = b.Contiguous();
        var result = Tensor.Uninitialized(DType.Float32, (int[])a.Sizes.Clone());
        TensorPrimitives.Add(
            x.FloatData.AsSpan(x.Offset, result.Count),
            y.FloatData.AsSpan(y.Offset, result.Count),
            result.FloatData);
        return result;
    }

    /// <summary>
    /// a + b inside the backward pass, where both are dropped afterwards: adds into a when it is private to the
    /// backward pass, else into a new private tensor, and returns the private inputs' storage to the pool.
    /// </summary>
    public static Tensor AddPrivate(Tensor a, Tensor b)
    {
        if (!a.Sizes.AsSpan().SequenceEqual(b.Sizes))
            throw new ShapeException("AccumulateGrad", $"gradient shapes {Rules.Format(a.Sizes)} and {Rules.Format(b.Sizes)} differ");
        if (a.DType != DType.Float32 || b.DType != DType.Float32) return Add(a, b);
        var y = b.Contiguous();
        Tensor result;
        if (a.Storage.Owner == StorageOwner.Backward && a.IsWholeStorage && !ReferenceEquals(a.Storage, y.Storage))
        {
            result = a;
        }
        else
        {
            result = Tensor.BackwardGradient((int[])a.Sizes.Clone());
            var x = a.Contiguous();
            x.FloatData.AsSpan(x.Offset, result.Count).CopyTo(result.FloatData);
        }
        var sum = result.FloatData.AsSpan(0, result.Count);
        TensorPrimitives.Add(sum, y.FloatData.AsSpan(y.Offset, result.Count), sum);
        if (!ReferenceEquals(result, a)) a.Storage.RecycleIfOwnedBy(StorageOwner.Backward);
        b.Storage.RecycleIfOwnedBy(StorageOwner.Backward);
        return result;
    }

    /// <summary>
    /// Zeros of <paramref name="inputSizes"/> plus <paramref name="grad"/> added at the storage offsets of
    /// <paramref name="relativeLayout"/>, a layout over a contiguous tensor of <paramref name="inputSizes"/>.
    /// </summary>
    public static Tensor ScatterAdd(Tensor grad, int[] inputSizes, Layout<int> relativeLayout)
    {
        int count = grad.Count;
        // A row-major view of the whole input (view, reshape, flatten, squeeze...) maps element i to i: the
        // gradient is the output's gradient in the input's shape, a view of it, as in PyTorch.
        if (relativeLayout.Offset == 0 && count == Tensor.CountOf(inputSizes) && grad.IsContiguous
            && Rules.IsContiguous(relativeLayout.Sizes, relativeLayout.Strides) == Truth.True)
            return new Tensor(grad.Storage, (int[])inputSizes.Clone(), Rules.ContiguousStrides(inputSizes), grad.Offset);
        // Float64 gradients add in double; BFloat16 ones add in float32 and round once, as ATen's index_put_ does.
        if (grad.DType == DType.Float64) return ScatterAdd<double>(grad, inputSizes, relativeLayout);
        if (grad.DType == DType.BFloat16) return Tensor.RoundedToBFloat16(ScatterAdd<float>(grad.As(DType.Float32), inputSizes, relativeLayout));
        return ScatterAdd<float>(grad, inputSizes, relativeLayout);
    }

    static Tensor ScatterAdd<T>(Tensor grad, int[] inputSizes, Layout<int> relativeLayout) where T : unmanaged, System.Numerics.INumber<T>
    {
        var result = Tensor.Zeros(inputSizes, Tensor.DTypeOf<T>());
        if (grad.Count > 0) AddThrough<T>(grad.Contiguous(), ElementwiseKernel.Data<T>(result), relativeLayout);
        return result;
    }

    /// <summary>
    /// <see cref="ScatterAdd"/> of a contiguous Float32 gradient into <paramref name="target"/> (contiguous, of the
    /// view's input shape; overwritten): what a compiled graph's transpose or permute runs backward, with the same
    /// adds into zeros as eager autograd's.
    /// </summary>
    public static void ScatterAddInto(Tensor grad, Tensor target, Layout<int> relativeLayout)
    {
        var destination = target.FloatData.AsSpan(target.Offset, target.Count);
        destination.Clear();
        if (grad.Count == 0) return;
        if (target.Offset != 0) throw new ArgumentException("ScatterAddInto: the target must start its storage", nameof(target));
        AddThrough<float>(grad, target.FloatData, relativeLayout);
    }

    /// <summary>target[layout(i)] += grad[i] for each element i of the contiguous <paramref name="g"/>, in row-major order.</summary>
    static void AddThrough<T>(Tensor g, T[] target, Layout<int> relativeLayout) where T : unmanaged, System.Numerics.INumber<T>
    {
        int count = g.Count;
        var source = ElementwiseKernel.Data<T>(g);
        int start = g.Offset;

        // A layout that is a plain row-major window (the view kind) copies in one run.
        if (Rules.IsContiguous(relativeLayout.Sizes, relativeLayout.Strides) == Truth.True)
        {
            TensorPrimitives.Add(target.AsSpan(relativeLayout.Offset, count), source.AsSpan(start, count), target.AsSpan(relativeLayout.Offset, count));
            return;
        }
        int rank = relativeLayout.Rank;
        if (rank == 0)
        {
            target[relativeLayout.Offset] += source[start];
            return;
        }
        // Row by row in the gradient's order, the target's offset carried through the outer dims as an odometer,
        // so no table of offsets is allocated (a compiled graph's transpose runs this every step).
        var sizes = relativeLayout.Sizes;
        var strides = relativeLayout.Strides;
        Span<int> index = stackalloc int[rank];
        int inner = sizes[rank - 1], innerStride = strides[rank - 1], at = relativeLayout.Offset;
        for (int row = start; row < start + count; row += inner)
        {
            for (int i = 0; i < inner; i++) target[at + i * innerStride] += source[row + i];
            for (int d = rank - 2; d >= 0; d--)
            {
                at += strides[d];
                if (++index[d] < sizes[d]) break;
                at -= strides[d] * index[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>Sums a broadcast gradient back to <paramref name="shape"/> (the inverse of broadcasting).</summary>
    public static Tensor SumToShape(Tensor grad, int[] shape)
    {
        if (grad.Sizes.AsSpan().SequenceEqual(shape)) return grad;
        var expanded = Rules.Expand(Rules.Contiguous(shape), grad.Sizes, "SumToShape");
        if (grad.DType == DType.Float32 && grad.IsContiguous)
        {
            var result = Tensor.Uninitialized(DType.Float32, (int[])shape.Clone());
            SumToShapeInto(grad, result, negate: false);
            return result;
        }
        return ScatterAdd(grad, shape, expanded);
    }

    /// <summary>
    /// <see cref="SumToShape"/> into <paramref name="target"/> (contiguous, Float32, of a shape that broadcasts to
    /// the contiguous <paramref name="grad"/>'s; overwritten), of -grad when <paramref name="negate"/> (a
    /// difference's second operand). Each target element starts at zero and adds the gradient's elements that
    /// broadcast from it in row-major order, the order the scatter-add runs in, so eager autograd and compiled
    /// graphs get the same bits. Equal shapes copy (or negate), as <see cref="SumToShape"/> hands the gradient on.
    /// </summary>
    public static void SumToShapeInto(Tensor grad, Tensor target, bool negate)
    {
        int count = grad.Count;
        var source = grad.FloatData.AsSpan(grad.Offset, count);
        var destination = target.FloatData.AsSpan(target.Offset, target.Count);
        if (grad.Sizes.AsSpan().SequenceEqual(target.Sizes))
        {
            if (negate) TensorPrimitives.Negate(source, destination);
            else source.CopyTo(destination);
            return;
        }
        destination.Clear();
        if (count == 0) return;
        int rank = grad.Rank, pad = rank - target.Rank;
        // The target's strides seen from the gradient's dims: 0 where the target broadcasts (a missing or size-1 dim).
        Span<int> strides = stackalloc int[rank];
        Span<int> index = stackalloc int[rank];
        for (int d = rank - 1, stride = 1; d >= pad; d--)
        {
            int size = target.Sizes[d - pad];
            strides[d] = size == 1 && grad.Sizes[d] != 1 ? 0 : stride;
            stride *= size;
        }
        int inner = grad.Sizes[rank - 1], innerStride = strides[rank - 1], at = 0;
        for (int start = 0; start < count; start += inner)
        {
            if (innerStride == 0)
            {
                float sum = destination[at];
                for (int i = 0; i < inner; i++) sum += negate ? -source[start + i] : source[start + i];
                destination[at] = sum;
            }
            else
            {
                for (int i = 0; i < inner; i++) destination[at + i] += negate ? -source[start + i] : source[start + i];
            }
            // The next row: carry through the outer dims, as an odometer.
            for (int d = rank - 2; d >= 0; d--)
            {
                at += strides[d];
                if (++index[d] < grad.Sizes[d]) break;
                at -= strides[d] * index[d];
                index[d] = 0;
            }
        }
    }

    /// <summary>target += source, element by element through both layouts (same shape; Float32, or Float64 for both).</summary>
    public static void AddInto(Tensor target, Tensor source)
    {
        int count = target.Count;
        if (count == 0) return;
        var t = new int[count];
        var s = new int[count];
        StridedLayout.Offsets(target.Sizes, target.StrideArray, target.StorageOffset, t);
        StridedLayout.Offsets(source.Sizes, source.StrideArray, source.StorageOffset, s);
        if (target.DType == DType.Float64)
        {
            var dstD = target.DoubleData;
            var srcD = source.DoubleData;
            for (int i = 0; i < count; i++) dstD[t[i]] += srcD[s[i]];
            return;
        }
        var dst = target.FloatData;
        var src = source.FloatData;
        for (int i = 0; i < count; i++) dst[t[i]] += src[s[i]];
    }
}
