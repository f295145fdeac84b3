using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// Single-precision matrix product on strided operands, BLIS-style: packed panels, cache blocking and
/// a register-blocked micro-kernel. Written here because TensorPrimitives has no GEMM.
/// </summary>
/// <remarks>
/// Results are bitwise identical for every thread count: threads split the output into tiles and
/// each element's sum always runs over the same k blocks in the same order.
/// </remarks>
internal static unsafe class GemmKernel
{
    // Below this m*n*k the unpacked 4 x 16 blocks win: packing and padding to 6 x 64 tiles cost more
    // than they save (measured on Zen 4: n = 80 runs at 99 GFLOP/s unpacked, 50 packed; n = 128 at 88 and 94).
    internal const long SmallProductLimit = 128 * 128 * 128;

    // Below this m*n*k waking a worker costs more than the work it takes over.
    internal const long ParallelProductLimit = 64 * 64 * 64;

    /// <summary>The micro-kernel <see cref="Sgemm"/> and <see cref="SgemmBatched"/> use.</summary>
    internal static GemmMicroKernel MicroKernel => GemmMicroKernels.Best;

    /// <summary>
    /// C = act(alpha * A * B + beta * C + bias), where element A[i, p] is <c>a[aOffset + i * aRowStride + p * aColStride]</c>
    /// and likewise for B[p, j] and C[i, j]; A is m x k, B is k x n, C is m x n. Bias and activation come from
    /// <paramref name="epilogue"/> (by default none: C = alpha * A * B + beta * C).
    /// </summary>
    /// <remarks>
    /// Strides may be any non-negative value, so transposed, sliced and broadcast (stride 0) operands
    /// need no copy; C alone must not overlap itself. When beta is 0, C is overwritten without being
    /// read; when alpha is 0 or k is 0, A and B are not read and C becomes beta * C (as in BLAS), then the
    /// epilogue applies. The epilogue runs on each tile of C right after the tile's last k block, on the thread
    /// that computed it, while the tile is still in cache; results stay bitwise identical for every thread count.
    /// </remarks>
    public static void Sgemm(int m, int n, int k, float alpha,
        float[] a, int aOffset, int aRowStride, int aColStride,
        float[] b, int bOffset, int bRowStride, int bColStride,
        float beta, float[] c, int cOffset, int cRowStride, int cColStride, in GemmEpilogue epilogue = default)
        => SgemmWith(MicroKernel, GemmRoute.Auto, m, n, k, alpha, a, aOffset, aRowStride, aColStride,
            b, bOffset, bRowStride, bColStride, beta, c, cOffset, cRowStride, cColStride, epilogue);

    /// <summary><see cref="Sgemm"/> with a chosen micro-kernel and route, for tests and benchmarks of every path.</summary>
    internal static void SgemmWith(GemmMicroKernel kernel, GemmRoute route, int m, int n, int k, float alpha,
        float[] a, int aOffset, int aRowStride, int aColStride,
        float[] b, int bOffset, int bRowStride, int bColStride,
        float beta, float[] c, int cOffset, int cRowStride, int cColStride, in GemmEpilogue epilogue = default)
    {
        GemmArguments.Validate(m, n, k, a, aOffset, aRowStride, aColStride,
            b, bOffset, bRowStride, bColStride, c, cOffset, cRowStride, cColStride);
        GemmArguments.ValidateEpilogue(m, n, epilogue, cRowStride, cColStride);
        if (m == 0 || n == 0)
            return;
        fixed (float* pa = a, pb = b, pc = c, pBias = epilogue.Bias, pPre = epilogue.PreActivation)
        {
            var tileEpilogue = new GemmTileEpilogue(pBias == null ? null : pBias + epilogue.BiasOffset, epilogue.BiasAlong, epilogue.Activation,
                pPre == null ? null : pPre + epilogue.PreActivationOffset);
            var problem = new GemmProblem(m, n, k, alpha,
                pa + aOffset, aRowStride, aColStride,
                pb + bOffset, bRowStride, bColStride,
                beta, pc + cOffset, cRowStride, cColStride, tileEpilogue);
            Run(problem, kernel, route, allowParallel: true);
        }
    }

    /// <summary>
    /// <paramref name="batch"/> independent products as in <see cref="Sgemm"/>; operand s starts at
    /// <c>offset + s * batchStride</c>. A batch stride of 0 broadcasts A or B over the batch.
    /// </summary>
    public static void SgemmBatched(int batch, int m, int n, int k, float alpha,
        float[] a, int aOffset, int aBatchStride, int aRowStride, int aColStride,
        float[] b, int bOffset, int bBatchStride, int bRowStride, int bColStride,
        float beta, float[] c, int cOffset, int cBatchStride, int cRowStride, int cColStride)
        => SgemmBatchedWith(MicroKernel, GemmRoute.Auto, batch, m, n, k, alpha, a, aOffset, aBatchStride, aRowStride, aColStride,
            b, bOffset, bBatchStride, bRowStride, bColStride, beta, c, cOffset, cBatchStride, cRowStride, cColStride);

    /// <summary><see cref="SgemmBatched"/> with a chosen micro-kernel.</summary>
    internal static void SgemmBatchedWith(GemmMicroKernel kernel, GemmRoute route, int batch, int m, int n, int k, float alpha,
        float[] a, int aOffset, int aBatchStride, int aRowStride, int aColStride,
        float[] b, int bOffset, int bBatchStride, int bRowStride, int bColStride,
        float beta, float[] c, int cOffset, int cBatchStride, int cRowStride, int cColStride)
    {
        GemmArguments.ValidateBatched(batch, m, n, k, a, aOffset, aBatchStride, aRowStride, aColStride,
            b, bOffset, bBatchStride, bRowStride, bColStride, c, cOffset, cBatchStride, cRowStride, cColStride);
        if (batch == 0 || m == 0 || n == 0)
            return;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var body = new BatchBody(kernel, route, new GemmProblem(m, n, k, alpha,
                pa + aOffset, aRowStride, aColStride,
                pb + bOffset, bRowStride, bColStride,
                beta, pc + cOffset, cRowStride, cColStride), aBatchStride, bBatchStride, cBatchStride);
            long work = (long)m * n * k;
            if (work >= ParallelProductLimit || batch == 1 || work * batch < ParallelProductLimit)
            {
                // Each product is big enough to split on its own (or the whole batch is too small to split).
                for (int s = 0; s < batch; s++)
                    Run(body.Problem(s), kernel, route, allowParallel: true);
            }
            else
            {
                ParallelRuntime.For(batch, ref body);
            }
        }
    }

    internal static void Run(GemmProblem problem, GemmMicroKernel kernel, GemmRoute route, bool allowParallel)
    {
        if (problem.K == 0 || problem.Alpha == 0)
        {
            ScaleC(problem);
            if (!problem.Epilogue.IsNone)
                problem.Epilogue.Apply(problem.C, problem.CRowStride, problem.CColStride, problem.M, problem.N, 0, 0);
            return;
        }
        problem = problem.WithContiguousColumns();
        long work = (long)problem.M * problem.N * problem.K;
        int threads = allowParallel && work >= ParallelProductLimit && !ParallelRuntime.IsInsideParallelLoop
            ? ParallelRuntime.NumThreads : 1;
        bool unpacked = route switch
        {
            GemmRoute.Packed or GemmRoute.PackedGeneral => false,
            GemmRoute.Unpacked => true,
            _ => TakesUnpackedRoute(problem.M, problem.N, problem.K),
        };
        if (unpacked)
            GemmSmall.Run(problem, threads);
        else
            GemmPacked.Run(problem, kernel, threads, allowRowSplit: route != GemmRoute.PackedGeneral);
    }

    /// <summary>Whether <see cref="GemmRoute.Auto"/> runs an m x n x k product unpacked (the rule is symmetric in m and n).</summary>
    // Products with a single row or column are memory-bound: padding them to full tiles only wastes work.
    internal static bool TakesUnpackedRoute(int m, int n, int k) => (long)m * n * k < SmallProductLimit || m == 1 || n == 1;

    // C = beta * C, without reading C when beta is 0.
    private static void ScaleC(in GemmProblem p)
    {
        for (int i = 0; i < p.M; i++)
        {
            float* row = p.C + i * p.CRowStride;
            for (int j = 0; j < p.N; j++)
            {
                float* cij = row + j * p.CColStride;
                *cij = p.Beta == 0 ? 0f : p.Beta * *cij;
            }
        }
    }

    private readonly struct BatchBody(GemmMicroKernel kernel, GemmRoute route, GemmProblem first, nint aBatchStride, nint bBatchStride, nint cBatchStride)
        : IParallelBody
    {
        public GemmProblem Problem(int s) => new(first.M, first.N, first.K, first.Alpha,
            first.A + s * aBatchStride, first.ARowStride, first.AColStride,
            first.B + s * bBatchStride, first.BRowStride, first.BColStride,
            first.Beta, first.C + s * cBatchStride, first.CRowStride, first.CColStride);

        public void Invoke(int index) => Run(Problem(index), kernel, route, allowParallel: false);
    }
}

/// <summary>Which loop nest runs a product; only tests and benchmarks choose anything but <see cref="Auto"/>.</summary>
internal enum GemmRoute
{
    /// <summary>By size: unpacked register blocks for small or single-row/column products, packed otherwise.</summary>
    Auto,
    /// <summary>Always the packed BLIS loop nest with the chosen micro-kernel.</summary>
    Packed,
    /// <summary>Always the unpacked loops.</summary>
    Unpacked,
    /// <summary>
    /// Always the packed loop nest in its general form: no row split, every A panel packed. The order of sums that
    /// <see cref="Packed"/> must reproduce bitwise on every path.
    /// </summary>
    PackedGeneral,
}
