using System.Runtime.CompilerServices;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// The BLIS loop nest around a micro-kernel: for each NC-wide column block and KC-deep slice, pack
/// B once (shared by all threads), then let threads take units of MR-row panels (and, for short
/// matrices, NR-column panels), each packing its own A block and running the kernel over its tiles.
/// </summary>
internal static unsafe class GemmPacked
{
    private const int MaxTileFloats = 1024;

    public static void Run(in GemmProblem p, GemmMicroKernel kernel, int threads)
    {
        int mr = kernel.Mr, nr = kernel.Nr;
        // Even k blocks: a 300-deep product runs as 150 + 150 rather than 256 + 44.
        int kBlocks = CeilDiv(p.K, kernel.Kc);
        int kcMax = CeilDiv(p.K, kBlocks);
        int ncMax = Math.Min(RoundUp(p.N, nr), Math.Max(nr, kernel.Nc / nr * nr));
        int mPanels = CeilDiv(p.M, mr);
        int mcPanels = Math.Max(1, kernel.Mc / mr);
        float* packedB = GemmWorkspace.PackedB.Get(kcMax * ncMax);

        for (int jc = 0; jc < p.N; jc += ncMax)
        {
            int nc = Math.Min(ncMax, p.N - jc);
            int nPanels = CeilDiv(nc, nr);
            // Units: a multiple of the thread count for balance; split columns too when rows run short.
            int mUnits = threads == 1 ? 1 : Math.Min(mPanels, RoundUp(CeilDiv(mPanels, mcPanels), threads));
            int nUnits = mUnits >= threads ? 1 : Math.Min(nPanels, CeilDiv(threads, mUnits));

            for (int pc = 0; pc < p.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                var pack = new PackBBody(p, kernel, jc, pc, nc, kc, packedB, CeilDiv(nPanels, Math.Min(nPanels, 4 * threads)));
                int packGroups = CeilDiv(nPanels, pack.PanelsPerGroup);
                var compute = new ComputeBody(p, kernel, jc, pc, nc, kc, packedB, mUnits, nUnits, mcPanels,
                    beta: pc == 0 ? p.Beta : 1f);
                if (threads == 1)
                {
                    for (int g = 0; g < packGroups; g++)
                        pack.Invoke(g);
                    compute.Invoke(0);
                }
                else
                {
                    ParallelRuntime.For(packGroups, ref pack);
                    ParallelRuntime.For(mUnits * nUnits, ref compute);
                }
            }
        }
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;

    private static int RoundUp(int x, int y) => CeilDiv(x, y) * y;

    private readonly struct PackBBody(in GemmProblem p, GemmMicroKernel kernel, int jc, int pc, int nc, int kc,
        float* packedB, int panelsPerGroup) : IParallelBody
    {
        private readonly float* _b = p.B + pc * p.BRowStride + jc * p.BColStride;
        private readonly nint _rowStride = p.BRowStride, _colStride = p.BColStride;
        private readonly int _nr = kernel.Nr;

        public int PanelsPerGroup => panelsPerGroup;

        public void Invoke(int group)
        {
            int first = group * panelsPerGroup;
            int end = Math.Min(CeilDiv(nc, _nr), first + panelsPerGroup);
            for (int q = first; q < end; q++)
            {
                int j0 = q * _nr;
                GemmPacking.PackBPanel(_b + j0 * _colStride, _rowStride, _colStride,
                    Math.Min(_nr, nc - j0), kc, _nr, packedB + (nint)j0 * kc);
            }
        }
    }

    private readonly struct ComputeBody(in GemmProblem p, GemmMicroKernel kernel, int jc, int pc, int nc, int kc,
        float* packedB, int mUnits, int nUnits, int mcPanels, float beta) : IParallelBody
    {
        private readonly GemmProblem _p = p;
        private readonly delegate*<int, float*, float*, float*, nint, float, float, void> _kernel = kernel.Compute;
        private readonly int _mr = kernel.Mr, _nr = kernel.Nr;

        [SkipLocalsInit]
        public void Invoke(int unit)
        {
            int mr = _mr, nr = _nr;
            int mPanels = CeilDiv(_p.M, mr), nPanels = CeilDiv(nc, nr);
            int mUnit = unit % mUnits, nUnit = unit / mUnits;
            int mFirst = (int)((long)mUnit * mPanels / mUnits), mEnd = (int)((long)(mUnit + 1) * mPanels / mUnits);
            int nFirst = (int)((long)nUnit * nPanels / nUnits), nEnd = (int)((long)(nUnit + 1) * nPanels / nUnits);

            float* packedA = GemmWorkspace.PackedA.Get(Math.Min(mcPanels, mEnd - mFirst) * mr * kc);
            float* tile = stackalloc float[MaxTileFloats];
            float* aBlock = _p.A + pc * _p.AColStride;
            float* cBlock = _p.C + jc * _p.CColStride;
            nint cRow = _p.CRowStride, cCol = _p.CColStride;
            float alpha = _p.Alpha;

            for (int ib = mFirst; ib < mEnd; ib += mcPanels)
            {
                int ibEnd = Math.Min(mEnd, ib + mcPanels);
                for (int q = ib; q < ibEnd; q++)
                {
                    int i0 = q * mr;
                    GemmPacking.PackAPanel(aBlock + i0 * _p.ARowStride, _p.ARowStride, _p.AColStride,
                        Math.Min(mr, _p.M - i0), kc, mr, packedA + (nint)(q - ib) * mr * kc);
                }
                for (int jq = nFirst; jq < nEnd; jq++)
                {
                    int j0 = jq * nr;
                    int cols = Math.Min(nr, nc - j0);
                    float* bPanel = packedB + (nint)j0 * kc;
                    for (int q = ib; q < ibEnd; q++)
                    {
                        int i0 = q * mr;
                        int rows = Math.Min(mr, _p.M - i0);
                        float* aPanel = packedA + (nint)(q - ib) * mr * kc;
                        float* cTile = cBlock + i0 * cRow + j0 * cCol;
                        if (rows == mr && cols == nr && cCol == 1)
                        {
                            _kernel(kc, aPanel, bPanel, cTile, cRow, alpha, beta);
                        }
                        else
                        {
                            // Edge or strided tile: compute the full tile aside, then write the part inside C.
                            _kernel(kc, aPanel, bPanel, tile, nr, 1f, 0f);
                            StoreTile(tile, nr, rows, cols, cTile, cRow, cCol, alpha, beta);
                        }
                    }
                }
            }
        }

        // Same arithmetic as the kernels' own store, so a C element's value never depends on its tile's path.
        private static void StoreTile(float* tile, int nr, int rows, int cols, float* c, nint cRow, nint cCol, float alpha, float beta)
        {
            for (int i = 0; i < rows; i++)
            {
                for (int j = 0; j < cols; j++)
                {
                    float* cij = c + i * cRow + j * cCol;
                    float acc = tile[i * nr + j];
                    *cij = beta == 0 ? acc * alpha : MathF.FusedMultiplyAdd(acc, alpha, beta * *cij);
                }
            }
        }
    }
}
