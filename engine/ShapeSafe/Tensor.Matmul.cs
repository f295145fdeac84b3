using ShapeSafe.Gradients;
using ShapeSafe.Kernels.Gemm;
using ShapeSafe.Kernels.Parallel;
using ShapeSafe.Kernels.Strided;
using ShapeSafe.Tracing;

namespace ShapeSafe;

// Matrix products (seed section 2). Shapes come from the shared rules; the arithmetic is one GEMM
// kernel that reads operands through their strides, so transposed, sliced and broadcast operands
// are multiplied without copies.
public partial class Tensor
{
    /// <summary>PyTorch's <c>torch.matmul</c>: dot, matrix-vector, matrix-matrix or batched with broadcast batch dims.</summary>
    [ShapeContract("Matmul")]
    public Tensor Matmul(Tensor other) => Matmul(this, other);

    /// <summary>PyTorch's <c>torch.matmul</c>: dot, matrix-vector, matrix-matrix or batched with broadcast batch dims.</summary>
    [ShapeContract("Matmul")]
    public static Tensor Matmul(Tensor a, Tensor b)
    {
        if (OpTrace.Recording) return OpTrace.Run("Matmul", [a, b], () => Matmul(a, b));
        if (Autograd.IsAutocastEnabled) (a, b) = (AutocastLower(a), AutocastLower(b));
        string name = (a.Rank, b.Rank) switch { (1, 1) => "DotBackward", (2, 1) => "MvBackward", (2, 2) => "MmBackward", _ => "MatmulBackward" };
        if (a.DType != DType.Float32 || b.DType != DType.Float32)
        {
            Rules.Matmul(a.Sizes, b.Sizes);
            if (!CheckFloat("Matmul", a, b)) return ProductOf(a, b, name);
        }
        var result = MatmulForward(a, b);
        if (!MustRecord(a, b)) return result;
        return result.Recorded(name, new Tensor?[] { a, b }, g => MatmulGradient.Compute(g, a, b));
    }

    static Tensor MatmulForward(Tensor a, Tensor b)
    {
        var outShape = Rules.Matmul(a.Sizes, b.Sizes);
        CheckFloat("Matmul", a, b);
        var result = Uninitialized(DType.Float32, outShape);
        MatmulInto(a, b, result);
        return result;
    }

    /// <summary>
    /// The Float32 product <c>a.Matmul(b)</c> into <paramref name="result"/> (contiguous, of the product's shape,
    /// overwritten): the kernel calls of <see cref="Matmul(Tensor, Tensor)"/>'s forward, which compiled graphs share.
    /// </summary>
    internal static void MatmulInto(Tensor a, Tensor b, Tensor result)
    {
        var outShape = result.Sizes;
        a = a.Detach();     // the views below are plumbing, not part of the graph
        b = b.Detach();

        // Promote 1-D operands to matrices as PyTorch does: [k] → [1, k] on the left, [k] → [k, 1] on the right.
        var left = a.Rank == 1 ? a.Unsqueeze(0) : a;
        var right = b.Rank == 1 ? b.Unsqueeze(1) : b;
        int m = left.Sizes[^2], k = left.Sizes[^1], n = right.Sizes[^1];

        if (left.Rank == 2 && right.Rank == 2)
        {
            Gemm2D(left, right, result.FloatData, result.Offset, n);
            return;
        }

        // [..., m, k] × [k, n]: fold the batch into m when that is a view (one big product, as PyTorch does).
        if (right.Rank == 2 && Rules.TryReshapeAsView(left.Layout, new[] { -1, k }, out _, out var folded))
        {
            Gemm2D(left.WithLayout(folded), right, result.FloatData, result.Offset, n);
            return;
        }

        int batchRank = Math.Max(left.Rank, right.Rank) - 2;
        var batch = new int[batchRank];
        Array.Copy(outShape, batch, batchRank);
        var leftFull = left.Expand(Concat(batch, m, k));
        var rightFull = right.Expand(Concat(batch, k, n));
        BatchedGemm(leftFull, rightFull, batch, result.FloatData, m, n, result.Offset);
    }

    /// <summary>Matrix product of two 2-D tensors.</summary>
    [ShapeContract("Mm")]
    public static Tensor Mm(Tensor a, Tensor b)
    {
        if (Autograd.IsAutocastEnabled) (a, b) = (AutocastLower(a), AutocastLower(b));
        var outShape = Rules.Mm(a.Sizes, b.Sizes);
        if (!CheckFloat("Mm", a, b)) return ProductOf(a, b, "MmBackward");
        var result = (long)outShape[0] * outShape[1] <= ZeroedProductLimit && ParallelRuntime.NumThreads == 1
            ? Create(Storage.Allocate(DType.Float32, outShape[0] * outShape[1]), outShape)
            : Uninitialized(DType.Float32, outShape);
        Gemm2D(a, b, result.FloatData, 0, outShape[1]);
        return RecordProduct(result, "MmBackward", a, b);
    }

    // A fresh output is cold in cache: the GC hands out new addresses across its gen-0 budget, and each of the kernel's
    // tile stores waits for its line to be read first. Zeroed by the GC's memset, whose string stores take whole lines
    // without reading them, the lines are in cache when the tiles arrive: on one thread that saved 2 to 5 % at n = 128
    // and 256 (benchmarks/README.md, "Small products"). On two threads the caller's serial clear cost more than it saved,
    // and so did it at n = 512, past half of L2.
    private const long ZeroedProductLimit = 256 * 256;

    /// <summary>Batched matrix product of two 3-D tensors with the same batch size (no broadcasting).</summary>
    [ShapeContract("Bmm")]
    public static Tensor Bmm(Tensor a, Tensor b)
    {
        if (Autograd.IsAutocastEnabled) (a, b) = (AutocastLower(a), AutocastLower(b));
        var outShape = Rules.Bmm(a.Sizes, b.Sizes);
        if (!CheckFloat("Bmm", a, b)) return ProductOf(a, b, "BmmBackward");
        var result = Uninitialized(DType.Float32, outShape);
        BatchedGemm(a, b, new[] { outShape[0] }, result.FloatData, outShape[1], outShape[2]);
        return RecordProduct(result, "BmmBackward", a, b);
    }

    /// <summary>Dot product of two 1-D tensors of the same size (a 0-dim result).</summary>
    [ShapeContract("Dot")]
    public static Tensor Dot(Tensor a, Tensor b)
    {
        Rules.Dot(a.Sizes, b.Sizes);
        if (!CheckFloat("Dot", a, b)) return ProductOf(a, b, "DotBackward");
        var result = Uninitialized(DType.Float32, Array.Empty<int>());
        Gemm2D(a.Detach().Unsqueeze(0), b.Detach().Unsqueeze(1), result.FloatData, 0, 1);
        return RecordProduct(result, "DotBackward", a, b);
    }

    /// <summary>Matrix-vector product: [n, m] × [m] → [n].</summary>
    [ShapeContract("Mv")]
    public static Tensor Mv(Tensor a, Tensor v)
    {
        var outShape = Rules.Mv(a.Sizes, v.Sizes);
        if (!CheckFloat("Mv", a, v)) return ProductOf(a, v, "MvBackward");
        var result = Uninitialized(DType.Float32, outShape);
        Gemm2D(a, v.Detach().Unsqueeze(1), result.FloatData, 0, 1);
        return RecordProduct(result, "MvBackward", a, v);
    }

    static Tensor RecordProduct(Tensor result, string name, Tensor a, Tensor b) =>
        MustRecord(a, b) ? result.Recorded(name, new Tensor?[] { a, b }, g => MatmulGradient.Compute(g, a, b)) : result;

    /// <summary>C[offset..] (row-major, row stride <paramref name="ldc"/>) = a × b for 2-D a and b, read through their strides.</summary>
    internal static void Gemm2D(Tensor a, Tensor b, float[] c, int cOffset, int ldc)
    {
        int m = a.Sizes[0], k = a.Sizes[1], n = b.Sizes[1];
        GemmKernel.Sgemm(m, n, k, 1f,
            a.FloatData, a.Offset, a.StrideArray[0], a.StrideArray[1],
            b.FloatData, b.Offset, b.StrideArray[0], b.StrideArray[1],
            0f, c, cOffset, ldc, 1);
    }

    /// <summary>Products of [batch..., m, k] × [batch..., k, n] into a contiguous [batch..., m, n] buffer at <paramref name="cOffset"/>.</summary>
    internal static void BatchedGemm(Tensor a, Tensor b, int[] batch, float[] c, int m, int n, int cOffset = 0)
    {
        int count = 1;
        foreach (var s in batch) count *= s;
        if (count == 0 || m == 0 || n == 0) return;
        int k = a.Sizes[^1];
        var aOffsets = BatchOffsets(a, batch, count);
        var bOffsets = BatchOffsets(b, batch, count);
        int aStep = count > 1 ? aOffsets[1] - aOffsets[0] : 0;
        int bStep = count > 1 ? bOffsets[1] - bOffsets[0] : 0;
        var aRow = a.StrideArray[^2];
        var aCol = a.StrideArray[^1];
        var bRow = b.StrideArray[^2];
        var bCol = b.StrideArray[^1];
        if (IsProgression(aOffsets, aStep) && IsProgression(bOffsets, bStep))
        {
            GemmKernel.SgemmBatched(count, m, n, k, 1f,
                a.FloatData, aOffsets[0], aStep, aRow, aCol,
                b.FloatData, bOffsets[0], bStep, bRow, bCol,
                0f, c, cOffset, m * n, n, 1);
            return;
        }
        for (int i = 0; i < count; i++)
        {
            GemmKernel.Sgemm(m, n, k, 1f,
                a.FloatData, aOffsets[i], aRow, aCol,
                b.FloatData, bOffsets[i], bRow, bCol,
                0f, c, cOffset + i * m * n, n, 1);
        }
    }

    static int[] BatchOffsets(Tensor t, int[] batch, int count)
    {
        var offsets = new int[count];
        var strides = new int[batch.Length];
        Array.Copy(t.StrideArray, strides, batch.Length);
        StridedLayout.Offsets(batch, strides, t.Offset, offsets);
        return offsets;
    }

    static bool IsProgression(int[] offsets, int step)
    {
        for (int i = 1; i < offsets.Length; i++)
            if (offsets[i] - offsets[i - 1] != step) return false;
        return true;
    }

    static int[] Concat(int[] head, int x, int y)
    {
        var result = new int[head.Length + 2];
        head.CopyTo(result, 0);
        result[^2] = x;
        result[^1] = y;
        return result;
    }

    /// <summary>
    /// Both operands floating and of one dtype, as PyTorch requires (it never promotes in a matrix product).
    /// Returns true for Float32, the common case the callers run inline; other dtypes go to <see cref="ProductOf"/>.
    /// </summary>
    static bool CheckFloat(string op, Tensor a, Tensor b)
    {
        if (a.DType == DType.Float32 && b.DType == DType.Float32) return true;
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: expected both operands to have the same dtype, but got {a.DType} {Rules.Format(a.Sizes)} and {b.DType} {Rules.Format(b.Sizes)}; convert one with ToDType");
        if (!IsFloating(a.DType))
            throw new ArgumentException($"{op}: not implemented for {a.DType} operands ({Rules.Format(a.Sizes)} and {Rules.Format(b.Sizes)}); convert with ToDType(DType.Float32)");
        return false;
    }

    /// <summary>
    /// The product (matmul semantics; the caller has checked the op's own shape rule) for Float64 and BFloat16, with
    /// its backward. Float64 runs <see cref="DgemmKernel"/>; BFloat16 runs <see cref="GemmBFloat16"/>, which widens the
    /// operands to float32 as it packs them, accumulates in float32 and leaves the result to be rounded once, as ATen's
    /// CPU bf16 GEMM does. Autocast applies before this.
    /// </summary>
    static Tensor ProductOf(Tensor a, Tensor b, string gradFn)
    {
        var result = a.DType == DType.BFloat16 ? BFloat16Matmul(a.Detach(), b.Detach()) : DoubleMatmul(a.Detach(), b.Detach());
        return RecordProduct(result, gradFn, a, b);
    }

    /// <summary>
    /// <c>a @ b</c> (+ <paramref name="bias"/> along the last dim) for BFloat16 operands: float32 sums, the bias added
    /// in float32, one rounding to BFloat16 at the end. No graph is recorded.
    /// </summary>
    internal static Tensor BFloat16Matmul(Tensor a, Tensor b, Tensor? bias = null)
    {
        var batch = MatrixBatch.Of(a, b);
        var sums = GC.AllocateUninitializedArray<float>(batch.Count * batch.M * batch.N);
        var epilogue = bias is null ? default
            : GemmEpilogue.ColumnBias(bias.Contiguous().As(DType.Float32).FloatData, 0);
        for (int i = 0; i < batch.Count; i++)
        {
            GemmBFloat16.Gemm(batch.M, batch.N, batch.K,
                batch.Left.BFloat16Data, batch.LeftOffsets[i], batch.Left.StrideArray[^2], batch.Left.StrideArray[^1],
                batch.Right.BFloat16Data, batch.RightOffsets[i], batch.Right.StrideArray[^2], batch.Right.StrideArray[^1],
                sums, i * batch.M * batch.N, batch.N, epilogue);
        }
        var rounded = GC.AllocateUninitializedArray<ushort>(sums.Length);
        Kernels.Elementwise.DTypeConversion.ToBFloat16(sums, rounded);
        return Create(new Storage(rounded), batch.OutShape);
    }

    static Tensor DoubleMatmul(Tensor a, Tensor b)
    {
        var batch = MatrixBatch.Of(a, b);
        var result = Uninitialized(DType.Float64, batch.OutShape);
        for (int i = 0; i < batch.Count; i++)
            DgemmKernel.Dgemm(batch.M, batch.N, batch.K,
                batch.Left.DoubleData, batch.LeftOffsets[i], batch.Left.StrideArray[^2], batch.Left.StrideArray[^1],
                batch.Right.DoubleData, batch.RightOffsets[i], batch.Right.StrideArray[^2], batch.Right.StrideArray[^1],
                result.DoubleData, i * batch.M * batch.N, batch.N);
        return result;
    }

    /// <summary>
    /// A matmul's operands as <c>[batch..., m, k] x [batch..., k, n]</c> (1-D operands promoted, batch dims broadcast by
    /// expanded views) with each matrix's offset, for the kernels that run one matrix at a time.
    /// </summary>
    sealed record MatrixBatch(int[] OutShape, Tensor Left, Tensor Right, int[] LeftOffsets, int[] RightOffsets, int Count, int M, int N, int K)
    {
        public static MatrixBatch Of(Tensor a, Tensor b)
        {
            var outShape = Rules.Matmul(a.Sizes, b.Sizes);
            var left = a.Rank == 1 ? a.Unsqueeze(0) : a;
            var right = b.Rank == 1 ? b.Unsqueeze(1) : b;
            int m = left.Sizes[^2], k = left.Sizes[^1], n = right.Sizes[^1];
            int batchRank = Math.Max(left.Rank, right.Rank) - 2;
            var batch = new int[batchRank];
            Array.Copy(outShape, batch, batchRank);
            var leftFull = left.Expand(Concat(batch, m, k));
            var rightFull = right.Expand(Concat(batch, k, n));
            int count = 1;
            foreach (var s in batch) count *= s;
            var leftOffsets = count == 0 ? Array.Empty<int>() : BatchOffsets(leftFull, batch, count);
            var rightOffsets = count == 0 ? Array.Empty<int>() : BatchOffsets(rightFull, batch, count);
            return new MatrixBatch(outShape, leftFull, rightFull, leftOffsets, rightOffsets, count, m, n, k);
        }
    }
}
