using System.Runtime.CompilerServices;
using ShapeSafe.Kernels.Strided;

namespace ShapeSafe.Kernels.Elementwise;

/// <summary>
/// Drives element-wise ops: decides the output shape (the shared broadcast rule) and layout (TensorIterator's),
/// takes a fast path when every operand is contiguous with the same shape (one TensorPrimitives call), and
/// otherwise hands the operands to <see cref="BroadcastIterator"/>. Operands arrive already promoted to
/// the kernel's element type; dtype decisions live in <c>Tensor.Elementwise.cs</c>.
/// </summary>
internal static class ElementwiseKernel
{
    /// <summary>The backing array of a tensor whose dtype is known to be <typeparamref name="T"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T[] Data<T>(Tensor t)
    {
        if (typeof(T) == typeof(float)) return Unsafe.As<T[]>(t.FloatData);
        if (typeof(T) == typeof(long)) return Unsafe.As<T[]>(t.LongData);
        if (typeof(T) == typeof(double)) return Unsafe.As<T[]>(t.DoubleData);
        if (typeof(T) == typeof(bool)) return Unsafe.As<T[]>(t.BoolData);
        return Unsafe.As<T[]>(t.BFloat16Data);
    }

    static DType DTypeOf<T>() => Tensor.DTypeOf<T>();

    static Tensor NewOutput<T>(int[] sizes, int[] strides) =>
        new(Storage.AllocateUninitialized(DTypeOf<T>(), checked((int)Tensor.CountOf(sizes))), sizes, strides, 0);

    /// <summary><c>op(a, b)</c> with broadcasting; both operands have dtype <typeparamref name="T"/>.</summary>
    public static Tensor Binary<T, TOp>(Tensor a, Tensor b, TOp op, string name)
        where TOp : struct, IBinaryOp<T>
    {
        bool sameShape = a.Sizes.AsSpan().SequenceEqual(b.Sizes);
        if (sameShape && a.IsContiguous && b.IsContiguous)
        {
            var result = Tensor.Uninitialized(DTypeOf<T>(), (int[])a.Sizes.Clone());
            int n = result.Count;
            op.Apply(Data<T>(a).AsSpan(a.Offset, n), Data<T>(b).AsSpan(b.Offset, n), Data<T>(result).AsSpan(0, n));
            return result;
        }
        var outSizes = sameShape ? (int[])a.Sizes.Clone() : Rules.Broadcast(a.Sizes, b.Sizes, name);
        var aStrides = ElementwiseLayout.BroadcastStrides(a.Sizes, a.StrideArray, outSizes);
        var bStrides = ElementwiseLayout.BroadcastStrides(b.Sizes, b.StrideArray, outSizes);
        var output = NewOutput<T>(outSizes, ElementwiseLayout.OutputStrides(outSizes, a, aStrides, b, bStrides));
        var run = new BinaryRun<T, TOp> { Out = Data<T>(output), A = Data<T>(a), B = Data<T>(b), Op = op };
        BroadcastIterator.Run(ref run, outSizes, output.StrideArray, 0, aStrides, a.Offset, bStrides, b.Offset);
        return output;
    }

    /// <summary>
    /// <see cref="Binary{T, TOp}"/> into <paramref name="output"/>, a contiguous tensor of the broadcast shape that
    /// the caller planned (a compiled graph's buffer, a gradient's scratch): the same op on the same elements, so
    /// the same bits, with nothing allocated for the result.
    /// </summary>
    public static void BinaryInto<T, TOp>(Tensor a, Tensor b, TOp op, Tensor output)
        where TOp : struct, IBinaryOp<T>
    {
        int n = output.Count;
        if (a.IsContiguous && b.IsContiguous && a.Sizes.AsSpan().SequenceEqual(output.Sizes) && b.Sizes.AsSpan().SequenceEqual(output.Sizes))
        {
            op.Apply(Data<T>(a).AsSpan(a.Offset, n), Data<T>(b).AsSpan(b.Offset, n), Data<T>(output).AsSpan(output.Offset, n));
            return;
        }
        // The operands' strides broadcast to the output's shape, on the stack: a compiled graph calls this every step.
        Span<int> aStrides = stackalloc int[output.Rank];
        Span<int> bStrides = stackalloc int[output.Rank];
        BroadcastStridesInto(a, output.Sizes, aStrides);
        BroadcastStridesInto(b, output.Sizes, bStrides);
        var run = new BinaryRun<T, TOp> { Out = Data<T>(output), A = Data<T>(a), B = Data<T>(b), Op = op };
        BroadcastIterator.Run(ref run, output.Sizes, output.StrideArray, output.Offset, aStrides, a.Offset, bStrides, b.Offset);
    }

    /// <summary><see cref="ElementwiseLayout.BroadcastStrides"/> into <paramref name="result"/> (leading dims the operand lacks get 0).</summary>
    static void BroadcastStridesInto(Tensor operand, int[] outSizes, Span<int> result)
    {
        int pad = outSizes.Length - operand.Rank;
        result[..pad].Clear();
        for (int i = pad; i < outSizes.Length; i++)
        {
            int d = i - pad;
            result[i] = operand.Sizes[d] == 1 && outSizes[i] != 1 ? 0 : operand.StrideArray[d];
        }
    }

    /// <summary><c>op(a, scalar)</c>, or <c>op(scalar, a)</c> when <paramref name="scalarFirst"/>; no tensor is made for the scalar.</summary>
    public static Tensor BinaryScalar<T, TOp>(Tensor a, T scalar, bool scalarFirst, TOp op)
        where TOp : struct, IBinaryOp<T>
    {
        if (a.IsContiguous)
        {
            var result = Tensor.Uninitialized(DTypeOf<T>(), (int[])a.Sizes.Clone());
            int n = result.Count;
            var src = Data<T>(a).AsSpan(a.Offset, n);
            var dst = Data<T>(result).AsSpan(0, n);
            if (scalarFirst) op.Apply(scalar, src, dst);
            else op.Apply(src, scalar, dst);
            return result;
        }
        var output = NewOutput<T>((int[])a.Sizes.Clone(), ElementwiseLayout.OutputStrides(a.Sizes, a, a.StrideArray, null, null));
        var run = new ScalarRun<T, TOp> { Out = Data<T>(output), A = Data<T>(a), Scalar = scalar, ScalarFirst = scalarFirst, Op = op };
        BroadcastIterator.Run(ref run, a.Sizes, output.StrideArray, 0, a.StrideArray, a.Offset, default, 0);
        return output;
    }

    /// <summary><c>op(a)</c>; the output keeps the input's memory order (dense inputs keep their strides).</summary>
    public static Tensor Unary<T, TOp>(Tensor a, TOp op)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        if (a.IsContiguous)
        {
            var result = Tensor.Uninitialized(DTypeOf<T>(), (int[])a.Sizes.Clone());
            int n = result.Count;
            op.Apply(Data<T>(a).AsSpan(a.Offset, n), Data<T>(result).AsSpan(0, n));
            return result;
        }
        var output = NewOutput<T>((int[])a.Sizes.Clone(), ElementwiseLayout.OutputStrides(a.Sizes, a, a.StrideArray, null, null));
        var run = new UnaryRun<T, TOp> { Out = Data<T>(output), In = Data<T>(a), Op = op };
        BroadcastIterator.Run(ref run, a.Sizes, output.StrideArray, 0, a.StrideArray, a.Offset, default, 0);
        return output;
    }

    /// <summary>An Int64 tensor converted to Float32, keeping its memory order (as PyTorch's <c>to(float)</c>).</summary>
    public static Tensor ToFloat(Tensor a)
    {
        var output = NewOutput<float>((int[])a.Sizes.Clone(), ElementwiseLayout.OutputStrides(a.Sizes, a, a.StrideArray, null, null));
        var run = new ConvertRun { Out = output.FloatData, In = a.LongData };
        BroadcastIterator.Run(ref run, a.Sizes, output.StrideArray, 0, a.StrideArray, a.Offset, default, 0);
        return output;
    }

    /// <summary><c>self = op(self, other)</c> through <paramref name="self"/>'s strides, <paramref name="other"/> broadcast to its shape.</summary>
    public static void InPlace<T, TOp>(Tensor self, Tensor other, TOp op, string name)
        where TOp : struct, IBinaryOp<T>
    {
        var otherStrides = InPlaceOperand(self, ref other, name);
        var run = new BinaryRun<T, TOp> { Out = Data<T>(self), A = Data<T>(self), B = Data<T>(other), Op = op };
        BroadcastIterator.Run(ref run, self.Sizes, self.StrideArray, self.Offset, self.StrideArray, self.Offset, otherStrides, other.Offset);
    }

    /// <summary><c>self = op(self, scalar)</c> through <paramref name="self"/>'s strides.</summary>
    public static void InPlaceScalar<T, TOp>(Tensor self, T scalar, TOp op, string name)
        where TOp : struct, IBinaryOp<T>
    {
        CheckWritable(self, name);
        var run = new ScalarRun<T, TOp> { Out = Data<T>(self), A = Data<T>(self), Scalar = scalar, Op = op };
        BroadcastIterator.Run(ref run, self.Sizes, self.StrideArray, self.Offset, self.StrideArray, self.Offset, default, 0);
    }

    /// <summary><c>self = op(self)</c> through <paramref name="self"/>'s strides.</summary>
    public static void InPlaceUnary<T, TOp>(Tensor self, TOp op, string name, bool allowOverlap = false)
        where T : unmanaged
        where TOp : struct, IUnaryOp<T>
    {
        if (!allowOverlap) CheckWritable(self, name);
        var run = new UnaryRun<T, TOp> { Out = Data<T>(self), In = Data<T>(self), Op = op };
        BroadcastIterator.Run(ref run, self.Sizes, self.StrideArray, self.Offset, self.StrideArray, self.Offset, default, 0);
    }

    /// <summary><c>self += value * t1 * t2</c> (<paramref name="divide"/>: <c>value * t1 / t2</c>), PyTorch's addcmul_/addcdiv_.</summary>
    public static void AddCombined(Tensor self, Tensor t1, Tensor t2, float value, bool divide, string name)
    {
        var s1 = InPlaceOperand(self, ref t1, name);
        var s2 = InPlaceOperand(self, ref t2, name);
        var run = new AddCombinedRun { Self = self.FloatData, T1 = t1.FloatData, T2 = t2.FloatData, Value = value, Divide = divide };
        BroadcastIterator.Run(ref run, self.Sizes, self.StrideArray, self.Offset, s1, t1.Offset, s2, t2.Offset);
    }

    /// <summary>
    /// Checks an in-place operand: it must broadcast to self's shape (PyTorch: "output with shape ... doesn't match
    /// the broadcast shape ..."). An operand that shares storage with a different layout is copied first, so reading
    /// it never sees elements already overwritten. Returns its strides broadcast to self's shape.
    /// </summary>
    static int[] InPlaceOperand(Tensor self, ref Tensor other, string name)
    {
        CheckWritable(self, name);
        if (!other.Sizes.AsSpan().SequenceEqual(self.Sizes))
        {
            var broadcast = Rules.Broadcast(self.Sizes, other.Sizes, name);
            if (!broadcast.AsSpan().SequenceEqual(self.Sizes))
                throw new ShapeException(name,
                    $"output with shape {Rules.Format(self.Sizes)} doesn't match the broadcast shape {Rules.Format(broadcast)} (other has shape {Rules.Format(other.Sizes)})");
        }
        if (ReferenceEquals(other.Storage, self.Storage)
            && !(other.Offset == self.Offset && other.Sizes.AsSpan().SequenceEqual(self.Sizes) && other.StrideArray.AsSpan().SequenceEqual(self.StrideArray)))
            other = other.Clone();
        return ElementwiseLayout.BroadcastStrides(other.Sizes, other.StrideArray, self.Sizes);
    }

    static void CheckWritable(Tensor self, string name)
    {
        if (ElementwiseLayout.HasInternalOverlap(self.Sizes, self.StrideArray))
            throw new InvalidOperationException(
                $"{name}: unsupported operation: more than one element of the written-to tensor (shape {Rules.Format(self.Sizes)}, strides {Rules.Format(self.StrideArray)}) refers to a single memory location. Please Clone() the tensor before performing the operation.");
    }

    struct BinaryRun<T, TOp> : IRunKernel where TOp : struct, IBinaryOp<T>
    {
        public T[] Out, A, B;
        public TOp Op;

        public void Run(int count, int o0, int s0, int o1, int s1, int o2, int s2)
        {
            if (s0 == 1)
            {
                var dst = Out.AsSpan(o0, count);
                if (s1 == 1 && s2 == 1) { Op.Apply(A.AsSpan(o1, count), B.AsSpan(o2, count), dst); return; }
                if (s1 == 1 && s2 == 0) { Op.Apply(A.AsSpan(o1, count), B[o2], dst); return; }
                if (s1 == 0 && s2 == 1) { Op.Apply(A[o1], B.AsSpan(o2, count), dst); return; }
            }
            for (int i = 0; i < count; i++, o0 += s0, o1 += s1, o2 += s2) Out[o0] = Op.Apply(A[o1], B[o2]);
        }
    }

    struct ScalarRun<T, TOp> : IRunKernel where TOp : struct, IBinaryOp<T>
    {
        public T[] Out, A;
        public T Scalar;
        public bool ScalarFirst;
        public TOp Op;

        public void Run(int count, int o0, int s0, int o1, int s1, int o2, int s2)
        {
            if (s0 == 1 && s1 == 1)
            {
                if (ScalarFirst) Op.Apply(Scalar, A.AsSpan(o1, count), Out.AsSpan(o0, count));
                else Op.Apply(A.AsSpan(o1, count), Scalar, Out.AsSpan(o0, count));
                return;
            }
            if (ScalarFirst)
                for (int i = 0; i < count; i++, o0 += s0, o1 += s1) Out[o0] = Op.Apply(Scalar, A[o1]);
            else
                for (int i = 0; i < count; i++, o0 += s0, o1 += s1) Out[o0] = Op.Apply(A[o1], Scalar);
        }
    }

    const int GatherChunk = 256;

    struct UnaryRun<T, TOp> : IRunKernel where T : unmanaged where TOp : struct, IUnaryOp<T>
    {
        public T[] Out, In;
        public TOp Op;

        public void Run(int count, int o0, int s0, int o1, int s1, int o2, int s2)
        {
            if (s0 == 1 && s1 == 1)
            {
                Op.Apply(In.AsSpan(o1, count), Out.AsSpan(o0, count));
                return;
            }
            // Gather strided elements into a buffer and run the span form, so a strided input gets the same
            // (vectorised) function and the same bits as a contiguous one.
            Span<T> buffer = stackalloc T[GatherChunk];
            for (int done = 0; done < count;)
            {
                int n = Math.Min(buffer.Length, count - done);
                var chunk = buffer[..n];
                for (int i = 0, p = o1 + done * s1; i < n; i++, p += s1) chunk[i] = In[p];
                Op.Apply(chunk, chunk);
                for (int i = 0, p = o0 + done * s0; i < n; i++, p += s0) Out[p] = chunk[i];
                done += n;
            }
        }
    }

    struct ConvertRun : IRunKernel
    {
        public float[] Out;
        public long[] In;

        public void Run(int count, int o0, int s0, int o1, int s1, int o2, int s2)
        {
            for (int i = 0; i < count; i++, o0 += s0, o1 += s1) Out[o0] = In[o1];
        }
    }

    struct AddCombinedRun : IRunKernel
    {
        public float[] Self, T1, T2;
        public float Value;
        public bool Divide;

        public void Run(int count, int o0, int s0, int o1, int s1, int o2, int s2)
        {
            // ATen's CPU kernels compute self + value * t1 / t2 left to right, and self + value * t1 * t2 with the last
            // product and the sum fused (fma(value * t1, t2, self); measured against LibTorch 2.10 in
            // benchmarks/ShapeSafe.Conformance/OptimizerCases.cs); so do we.
            if (Divide)
                for (int i = 0; i < count; i++, o0 += s0, o1 += s1, o2 += s2) Self[o0] += Value * T1[o1] / T2[o2];
            else
                for (int i = 0; i < count; i++, o0 += s0, o1 += s1, o2 += s2) Self[o0] = MathF.FusedMultiplyAdd(Value * T1[o1], T2[o2], Self[o0]);
        }
    }
}
