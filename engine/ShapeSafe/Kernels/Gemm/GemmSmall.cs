using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// Products too small (or too thin: one row or one column) to repay packing: loops over the operands
/// as they lie, vectorized where the strides allow. The epilogue runs on each block or row of C as soon
/// as it is stored.
/// </summary>
internal static unsafe class GemmSmall
{
    private const int BlockRows = 4;
    private const int BlockCols = 2 * 8; // two Vector256

    public static void Run(in GemmProblem p, int threads)
    {
        if (p.N == 1 && p.AColStride == 1 && p.BRowStride == 1)
        {
            RunDotProducts(p); // matrix-vector product over contiguous rows
        }
        else if (p.BColStride == 1 && p.M == 1)
        {
            RunRowUpdate(p);
        }
        else if (Vector256.IsHardwareAccelerated && (p.BColStride == 1 || p.M >= BlockRows))
        {
            if (p.BColStride == 1)
            {
                RunBlocks(p, threads);
            }
            else
            {
                // B's rows are strided (B is transposed): a row-major copy costs k*n moves, far less than
                // the m*n*k multiply-adds it lets run in registers.
                float* copy = GemmWorkspace.PackedB.Get(p.K * p.N);
                CopyRowMajor(p.B, p.BRowStride, p.BColStride, p.K, p.N, copy);
                RunBlocks(new GemmProblem(p.M, p.N, p.K, p.Alpha, p.A, p.ARowStride, p.AColStride,
                    copy, p.N, 1, p.Beta, p.C, p.CRowStride, p.CColStride, p.Epilogue), threads);
            }
        }
        else if (p.AColStride == 1 && p.BRowStride == 1)
        {
            RunDotProducts(p);
        }
        else
        {
            RunScalar(p);
        }
    }

    private static void CopyRowMajor(float* src, nint rowStride, nint colStride, int rows, int cols, float* dst)
    {
        if (rowStride == 1)
        {
            // Columns are contiguous: read along them.
            for (int j = 0; j < cols; j++)
            {
                float* s = src + j * colStride;
                for (int i = 0; i < rows; i++)
                    dst[i * cols + j] = s[i];
            }
        }
        else
        {
            for (int i = 0; i < rows; i++)
            {
                float* s = src + i * rowStride;
                for (int j = 0; j < cols; j++)
                    dst[i * cols + j] = s[j * colStride];
            }
        }
    }

    // B's rows are contiguous: C in 4 x 16 blocks held in registers, A broadcast straight from memory.
    // Rows past the edge repeat the last row (their results are dropped); columns past the edge read a
    // zero-padded copy of B's last columns. Threads take whole row blocks, so results do not depend on them.
    private static void RunBlocks(in GemmProblem p, int threads)
    {
        int fullCols = p.N / BlockCols * BlockCols;
        float* bTail = null;
        if (fullCols < p.N)
        {
            bTail = GemmWorkspace.RowAccumulator.Get(p.K * BlockCols);
            GemmPacking.PackBPanel(p.B + fullCols, p.BRowStride, 1, p.N - fullCols, p.K, BlockCols, bTail);
        }
        int rowBlocks = (p.M + BlockRows - 1) / BlockRows;
        var body = new RowBlocksBody(p, fullCols, bTail, (rowBlocks + 4 * threads - 1) / (4 * threads));
        int groups = (rowBlocks + body.BlocksPerGroup - 1) / body.BlocksPerGroup;
        if (threads == 1)
        {
            for (int g = 0; g < groups; g++)
                body.Invoke(g);
        }
        else
        {
            ParallelRuntime.For(groups, ref body);
        }
    }

    private readonly struct RowBlocksBody(in GemmProblem p, int fullCols, float* bTail, int blocksPerGroup) : IParallelBody
    {
        private readonly GemmProblem _p = p;

        public int BlocksPerGroup => blocksPerGroup;

        [SkipLocalsInit]
        public void Invoke(int group)
        {
            int m = _p.M, n = _p.N, k = _p.K;
            float* a = _p.A, b = _p.B, c = _p.C;
            nint aRow = _p.ARowStride, aCol = _p.AColStride, bRow = _p.BRowStride, cRow = _p.CRowStride, cCol = _p.CColStride;
            float alpha = _p.Alpha, beta = _p.Beta;
            bool epilogue = !_p.Epilogue.IsNone;
            float* tile = stackalloc float[BlockRows * BlockCols];
            int iEnd = Math.Min(m, (group + 1) * blocksPerGroup * BlockRows);
            for (int i = group * blocksPerGroup * BlockRows; i < iEnd; i += BlockRows)
            {
                int rows = Math.Min(BlockRows, m - i);
                float* a0 = a + i * aRow;
                float* a1 = a + Math.Min(i + 1, m - 1) * aRow;
                float* a2 = a + Math.Min(i + 2, m - 1) * aRow;
                float* a3 = a + Math.Min(i + 3, m - 1) * aRow;
                for (int j = 0; j < n; j += BlockCols)
                {
                    bool fullWidth = j < fullCols;
                    float* bBlock = fullWidth ? b + j : bTail;
                    nint bStride = fullWidth ? bRow : BlockCols;
                    float* cBlock = c + i * cRow + j * cCol;
                    if (fullWidth && rows == BlockRows && cCol == 1)
                    {
                        Block4x16(k, a0, a1, a2, a3, aCol, bBlock, bStride, cBlock, cRow, alpha, beta);
                    }
                    else
                    {
                        Block4x16(k, a0, a1, a2, a3, aCol, bBlock, bStride, tile, BlockCols, 1f, 0f);
                        StoreTile(tile, rows, Math.Min(BlockCols, n - j), cBlock, cRow, cCol, alpha, beta);
                    }
                    if (epilogue)
                        _p.Epilogue.Apply(cBlock, cRow, cCol, rows, Math.Min(BlockCols, n - j), i, j);
                }
            }
        }
    }

    private static void Block4x16(int k, float* a0, float* a1, float* a2, float* a3, nint aCol,
        float* b, nint bRow, float* c, nint cRow, float alpha, float beta)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (nint t = 0, at = 0; t < k; t++, at += aCol, b += bRow)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + 8);
            var x = Vector256.Create(a0[at]);
            c00 = Vector256.MultiplyAddEstimate(x, b0, c00);
            c01 = Vector256.MultiplyAddEstimate(x, b1, c01);
            x = Vector256.Create(a1[at]);
            c10 = Vector256.MultiplyAddEstimate(x, b0, c10);
            c11 = Vector256.MultiplyAddEstimate(x, b1, c11);
            x = Vector256.Create(a2[at]);
            c20 = Vector256.MultiplyAddEstimate(x, b0, c20);
            c21 = Vector256.MultiplyAddEstimate(x, b1, c21);
            x = Vector256.Create(a3[at]);
            c30 = Vector256.MultiplyAddEstimate(x, b0, c30);
            c31 = Vector256.MultiplyAddEstimate(x, b1, c31);
        }
        StoreRow(c, c00, c01, alpha, beta);
        StoreRow(c + cRow, c10, c11, alpha, beta);
        StoreRow(c + 2 * cRow, c20, c21, alpha, beta);
        StoreRow(c + 3 * cRow, c30, c31, alpha, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> acc0, Vector256<float> acc1, float alpha, float beta)
    {
        var va = Vector256.Create(alpha);
        if (beta == 0)
        {
            Vector256.Store(acc0 * va, c);
            Vector256.Store(acc1 * va, c + 8);
        }
        else
        {
            var vb = Vector256.Create(beta);
            Vector256.Store(Vector256.MultiplyAddEstimate(acc0, va, vb * Vector256.Load(c)), c);
            Vector256.Store(Vector256.MultiplyAddEstimate(acc1, va, vb * Vector256.Load(c + 8)), c + 8);
        }
    }

    private static void StoreTile(float* tile, int rows, int cols, float* c, nint cRow, nint cCol, float alpha, float beta)
    {
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < cols; j++)
            {
                float* cij = c + i * cRow + j * cCol;
                float acc = tile[i * BlockCols + j];
                *cij = beta == 0 ? acc * alpha : float.MultiplyAddEstimate(acc, alpha, beta * *cij);
            }
        }
    }

    // One row of C as a sum of scaled rows of B (vectorized along n): the memory-bound vector-matrix case.
    private static void RunRowUpdate(in GemmProblem p)
    {
        int n = p.N, k = p.K;
        float* a = p.A, b = p.B;
        nint aCol = p.AColStride, bRow = p.BRowStride;
        float* acc = GemmWorkspace.RowAccumulator.Get(n);
        new Span<float>(acc, n).Clear();
        for (int t = 0; t < k; t++)
        {
            float s = a[t * aCol];
            float* bRowPtr = b + t * bRow;
            int j = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var vs = Vector256.Create(s);
                for (; j <= n - Vector256<float>.Count; j += Vector256<float>.Count)
                    Vector256.Store(Vector256.MultiplyAddEstimate(vs, Vector256.Load(bRowPtr + j), Vector256.Load(acc + j)), acc + j);
            }
            for (; j < n; j++)
                acc[j] = float.MultiplyAddEstimate(s, bRowPtr[j], acc[j]);
        }
        StoreRow(p, 0, acc);
    }

    // A's rows and B's columns are contiguous: each element of C is one dot product.
    private static void RunDotProducts(in GemmProblem p)
    {
        int m = p.M, n = p.N, k = p.K;
        float* a = p.A, b = p.B;
        nint aRow = p.ARowStride, bCol = p.BColStride;
        float* acc = GemmWorkspace.RowAccumulator.Get(n);
        for (int i = 0; i < m; i++)
        {
            float* aRowPtr = a + i * aRow;
            for (int j = 0; j < n; j++)
                acc[j] = Dot(aRowPtr, b + j * bCol, k);
            StoreRow(p, i, acc);
        }
    }

    private static float Dot(float* x, float* y, int count)
    {
        int t = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && count >= 2 * Vector256<float>.Count)
        {
            // Two accumulators hide the add latency; they are combined in a fixed order.
            var s0 = Vector256<float>.Zero;
            var s1 = Vector256<float>.Zero;
            for (; t <= count - 2 * Vector256<float>.Count; t += 2 * Vector256<float>.Count)
            {
                s0 = Vector256.MultiplyAddEstimate(Vector256.Load(x + t), Vector256.Load(y + t), s0);
                s1 = Vector256.MultiplyAddEstimate(Vector256.Load(x + t + Vector256<float>.Count), Vector256.Load(y + t + Vector256<float>.Count), s1);
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; t < count; t++)
            sum = float.MultiplyAddEstimate(x[t], y[t], sum);
        return sum;
    }

    private static void RunScalar(in GemmProblem p)
    {
        int m = p.M, n = p.N, k = p.K;
        float* a = p.A, b = p.B;
        nint aRow = p.ARowStride, aCol = p.AColStride, bRow = p.BRowStride, bCol = p.BColStride;
        float* acc = GemmWorkspace.RowAccumulator.Get(n);
        for (int i = 0; i < m; i++)
        {
            float* aRowPtr = a + i * aRow;
            for (int j = 0; j < n; j++)
            {
                float* bColPtr = b + j * bCol;
                float sum = 0;
                for (int t = 0; t < k; t++)
                    sum = float.MultiplyAddEstimate(aRowPtr[t * aCol], bColPtr[t * bRow], sum);
                acc[j] = sum;
            }
            StoreRow(p, i, acc);
        }
    }

    // Row i of C from its sums, then the epilogue over it.
    private static void StoreRow(in GemmProblem p, int i, float* acc)
    {
        float* cRow = p.C + i * p.CRowStride;
        nint cCol = p.CColStride;
        float alpha = p.Alpha, beta = p.Beta;
        for (int j = 0; j < p.N; j++)
        {
            float* cij = cRow + j * cCol;
            *cij = beta == 0 ? acc[j] * alpha : float.MultiplyAddEstimate(acc[j], alpha, beta * *cij);
        }
        if (!p.Epilogue.IsNone)
            p.Epilogue.Apply(cRow, p.CRowStride, cCol, 1, p.N, i, 0);
    }
}
