using ShapeSafe.Kernels.Elementwise;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// Matrix products of BFloat16 operands as ATen's CPU kernels compute them: every product summed in float32, the
/// float32 result left for the caller to round to BFloat16 once. The operands are widened in the packing step of the
/// float32 loop nest (<see cref="GemmPacked"/>), panel by panel, never as whole-operand copies, so a BFloat16 product
/// reads half the bytes of its operands that a float32 one does and runs the same micro-kernels.
/// </summary>
internal static unsafe class GemmBFloat16
{
    /// <summary>
    /// C = A * B (+ the epilogue's bias and activation) with A[i, p] = <c>a[aOffset + i * aRowStride + p * aColStride]</c>
    /// as BFloat16 bits, likewise B; C (float32, m x n) is written at <c>c[cOffset + i * cRowStride + j]</c> without
    /// being read. Results are the same for every thread count.
    /// </summary>
    public static void Gemm(int m, int n, int k,
        ushort[] a, int aOffset, int aRowStride, int aColStride,
        ushort[] b, int bOffset, int bRowStride, int bColStride,
        float[] c, int cOffset, int cRowStride, in GemmEpilogue epilogue = default)
        => GemmWith(GemmKernel.MicroKernel, m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride,
            c, cOffset, cRowStride, epilogue);

    /// <summary><see cref="Gemm"/> with a chosen micro-kernel, for tests of every kernel.</summary>
    internal static void GemmWith(GemmMicroKernel kernel, int m, int n, int k,
        ushort[] a, int aOffset, int aRowStride, int aColStride,
        ushort[] b, int bOffset, int bRowStride, int bColStride,
        float[] c, int cOffset, int cRowStride, in GemmEpilogue epilogue = default)
    {
        GemmArguments.Validate(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride,
            c, cOffset, cRowStride, 1);
        GemmArguments.ValidateEpilogue(m, n, epilogue, cRowStride, 1);
        if (m == 0 || n == 0)
            return;
        fixed (ushort* pa = a, pb = b)
        fixed (float* pc = c, pBias = epilogue.Bias, pPre = epilogue.PreActivation)
        {
            var tileEpilogue = new GemmTileEpilogue(pBias == null ? null : pBias + epilogue.BiasOffset, epilogue.BiasAlong, epilogue.Activation,
                pPre == null ? null : pPre + epilogue.PreActivationOffset);
            // A and B stay null in the problem: the panels below read them.
            var problem = new GemmProblem(m, n, k, 1f, null, 0, 0, null, 0, 0, 0f, pc + cOffset, cRowStride, 1, tileEpilogue);
            if (k == 0)
            {
                for (int i = 0; i < m; i++)
                    new Span<float>(pc + cOffset + (nint)i * cRowStride, n).Clear();
                if (!tileEpilogue.IsNone)
                    tileEpilogue.Apply(problem.C, cRowStride, 1, m, n, 0, 0);
                return;
            }
            long work = (long)m * n * k;
            int threads = work >= GemmKernel.ParallelProductLimit && !ParallelRuntime.IsInsideParallelLoop ? ParallelRuntime.NumThreads : 1;
            var panels = new BFloat16Panels(pa + aOffset, aRowStride, aColStride, pb + bOffset, bRowStride, bColStride);
            GemmPacked.Run(problem, panels, kernel, threads);
        }
    }

    /// <summary>
    /// C = A * B (+ the epilogue) with A in BFloat16 bits and B in float32, as <see cref="GemmKernel.Sgemm"/> with alpha 1
    /// and beta 0 would compute it on A widened: the same route, loop nest and micro-kernel, so the float32 C is bitwise
    /// that product. A convolution's weight times its (already widened) column matrix runs here. The packed route widens
    /// A's panels as it packs them; a product small enough for the unpacked route (which reads A as it lies) has A's
    /// m x k elements widened into this thread's packing buffer of A first, which that route leaves unused: that copy
    /// is the unpacked route's packing step, m·k moves against m·n·k multiply-adds, as that route already copies a
    /// strided B.
    /// </summary>
    public static void GemmWidenedA(int m, int n, int k,
        ushort[] a, int aOffset, int aRowStride, int aColStride,
        float[] b, int bOffset, int bRowStride, int bColStride,
        float[] c, int cOffset, int cRowStride, in GemmEpilogue epilogue = default)
        => GemmWidenedAWith(GemmKernel.MicroKernel, m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride,
            c, cOffset, cRowStride, epilogue);

    /// <summary><see cref="GemmWidenedA"/> with a chosen micro-kernel, for tests of every kernel.</summary>
    internal static void GemmWidenedAWith(GemmMicroKernel kernel, int m, int n, int k,
        ushort[] a, int aOffset, int aRowStride, int aColStride,
        float[] b, int bOffset, int bRowStride, int bColStride,
        float[] c, int cOffset, int cRowStride, in GemmEpilogue epilogue = default)
    {
        GemmArguments.ValidateMixed(m, n, k, a, aOffset, aRowStride, aColStride, b, bOffset, bRowStride, bColStride,
            c, cOffset, cRowStride, 1);
        GemmArguments.ValidateEpilogue(m, n, epilogue, cRowStride, 1);
        if (m == 0 || n == 0)
            return;
        fixed (ushort* pa = a)
        fixed (float* pb = b, pc = c, pBias = epilogue.Bias, pPre = epilogue.PreActivation)
        {
            var tileEpilogue = new GemmTileEpilogue(pBias == null ? null : pBias + epilogue.BiasOffset, epilogue.BiasAlong, epilogue.Activation,
                pPre == null ? null : pPre + epilogue.PreActivationOffset);
            if (k == 0 || GemmKernel.TakesUnpackedRoute(m, n, k))
            {
                // A's elements from the first to the last it reads, widened with their strides kept, so the float32
                // product takes exactly the path (and the sums) it takes on a float32 A.
                int extent = k == 0 ? 0 : (int)((long)(m - 1) * aRowStride + (long)(k - 1) * aColStride + 1);
                float* widened = GemmWorkspace.PackedA.Get(Math.Max(extent, 1));
                DTypeConversion.FromBFloat16(new ReadOnlySpan<ushort>(pa + aOffset, extent), new Span<float>(widened, extent));
                var float32 = new GemmProblem(m, n, k, 1f, widened, aRowStride, aColStride, pb + bOffset, bRowStride, bColStride,
                    0f, pc + cOffset, cRowStride, 1, tileEpilogue);
                GemmKernel.Run(float32, kernel, GemmRoute.Auto, allowParallel: true);
                return;
            }
            // The packed route of GemmKernel.Run: C row-major with more than one row and column is never transposed there.
            var problem = new GemmProblem(m, n, k, 1f, null, 0, 0, null, 0, 0, 0f, pc + cOffset, cRowStride, 1, tileEpilogue);
            long work = (long)m * n * k;
            int threads = work >= GemmKernel.ParallelProductLimit && !ParallelRuntime.IsInsideParallelLoop ? ParallelRuntime.NumThreads : 1;
            var panels = new WidenedAPanels(pa + aOffset, aRowStride, aColStride, pb + bOffset, bRowStride, bColStride);
            GemmPacked.Run(problem, panels, kernel, threads);
        }
    }

    /// <summary>BFloat16 A widened to float32 as it is packed; float32 B packed as the float32 product packs it.</summary>
    private readonly struct WidenedAPanels(ushort* a, nint aRow, nint aCol, float* b, nint bRow, nint bCol) : IGemmPanels
    {
        public void PackA(int row, int depth, int rows, int kc, int mr, float* dst) =>
            GemmPacking.PackAPanelBFloat16(a + row * aRow + depth * aCol, aRow, aCol, rows, kc, mr, dst);

        public void PackB(int depth, int col, int cols, int kc, int nr, float* dst) =>
            GemmPacking.PackBPanel(b + depth * bRow + col * bCol, bRow, bCol, cols, kc, nr, dst);
    }

    /// <summary>BFloat16 operands, widened to float32 as they are packed.</summary>
    private readonly struct BFloat16Panels(ushort* a, nint aRow, nint aCol, ushort* b, nint bRow, nint bCol) : IGemmPanels
    {
        public void PackA(int row, int depth, int rows, int kc, int mr, float* dst) =>
            GemmPacking.PackAPanelBFloat16(a + row * aRow + depth * aCol, aRow, aCol, rows, kc, mr, dst);

        public void PackB(int depth, int col, int cols, int kc, int nr, float* dst) =>
            GemmPacking.PackBPanelBFloat16(b + depth * bRow + col * bCol, bRow, bCol, cols, kc, nr, dst);
    }
}
