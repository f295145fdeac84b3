using System.Diagnostics;
using System.Runtime.CompilerServices;
using ShapeSafe.Kernels.Parallel;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// The BLIS loop nest around a micro-kernel, arranged for kernels whose tile is wide in N.
/// </summary>
/// <remarks>
/// For each MC-row block and KC-deep slice, A is packed once into a block shared by all threads (it
/// lives in L3). Threads then take units of columns (and rows, when columns run short); each packs its
/// own KC x NC block of B, which stays in its core's private L2, and sweeps it with one A micro-panel
/// (MR x KC, resident in L1) at a time. This is BLIS's order seen through C^T = B^T A^T: the operand
/// broadcast from L1 is the narrow one, the streamed one is the wide one.
/// Products whose whole packed B is no bigger than one such B block run as a row split instead (see
/// <see cref="RunRowSplit"/>): on several threads one parallel loop per call rather than two per k block, and on any
/// thread count A read in place rather than packed when the micro-kernel can.
/// </remarks>
internal static unsafe class GemmPacked
{
    private const int MaxTileFloats = 1024;

    // The largest whole packed B (floats) the row split takes: 512 KB, the size of one thread's B block
    // (KC x NC = 512 x 256) in the general loop nest, so it stays in the core's private L2 as that block does.
    internal const int RowSplitMaxPackedB = 512 * 256;

    // Tells a thread whether the whole packed B in its workspace is the current call's: each row-split call
    // takes a new stamp, and stamps are never reused.
    private static long s_rowSplitStamp;

    public static void Run(in GemmProblem p, GemmMicroKernel kernel, int threads, bool allowRowSplit = true) =>
        Run(p, new Float32Panels(p), kernel, threads, allowRowSplit);

    /// <summary>
    /// The loop nest with <paramref name="panels"/> packing A and B (so operands of another element type are widened to
    /// float32 as they are packed; <paramref name="p"/>'s A and B are then unused). Generic over the struct so each packer
    /// compiles to its own direct calls. <paramref name="allowRowSplit"/> false keeps the general loop nest with every A
    /// panel packed, the order the row split must reproduce bitwise (for tests).
    /// </summary>
    public static void Run<TPanels>(in GemmProblem p, TPanels panels, GemmMicroKernel kernel, int threads, bool allowRowSplit = true)
        where TPanels : struct, IGemmPanels
    {
        int mr = kernel.Mr, nr = kernel.Nr;
        Debug.Assert(mr * nr <= MaxTileFloats);
        // Even k blocks: with KC = 512 a 600-deep product runs as 300 + 300 rather than 512 + 88.
        int kBlocks = CeilDiv(p.K, kernel.Kc);
        int kcMax = CeilDiv(p.K, kBlocks);
        if (allowRowSplit && UsesRowSplit(p.M, p.N, p.K, kernel, threads))
        {
            RunRowSplit(p, panels, kernel, threads, kBlocks, kcMax);
            return;
        }
        int mcMax = Math.Min(RoundUp(p.M, mr), Math.Max(mr, kernel.Mc / mr * mr));
        int ncPanels = Math.Max(1, kernel.Nc / nr);
        int nPanels = CeilDiv(p.N, nr);
        float* packedA = GemmWorkspace.PackedA.Get(mcMax * kcMax);

        for (int ic = 0; ic < p.M; ic += mcMax)
        {
            int mc = Math.Min(mcMax, p.M - ic);
            int mPanels = CeilDiv(mc, mr);
            // Units of columns, each at most NC wide. With several threads, about four units per thread so
            // a worker that starts late (the cores are shared) still takes its part; splitting a B block
            // costs little, since the streamed B panels dominate what a tile reads. When the column units
            // do not divide evenly among threads, rows are split as well.
            int nUnits = Math.Min(nPanels, threads == 1 ? CeilDiv(nPanels, ncPanels)
                : Math.Max(RoundUp(CeilDiv(nPanels, ncPanels), threads), 4 * threads));
            int mUnits = nUnits % threads == 0 ? 1 : Math.Min(mPanels, threads);

            for (int pc = 0; pc < p.K; pc += kcMax)
            {
                int kc = Math.Min(kcMax, p.K - pc);
                var pack = new PackABody<TPanels>(panels, mr, ic, pc, mc, kc, packedA, CeilDiv(mPanels, Math.Min(mPanels, 4 * threads)));
                int packGroups = CeilDiv(mPanels, pack.PanelsPerGroup);
                // The epilogue runs with the last k block, on each tile as soon as its sums are complete.
                var compute = new ComputeBody<TPanels>(p, panels, kernel, ic, pc, mc, kc, packedA, mUnits, nUnits,
                    CeilDiv(nPanels, nUnits), beta: pc == 0 ? p.Beta : 1f, lastKBlock: pc + kc == p.K);
                if (threads == 1)
                {
                    for (int g = 0; g < packGroups; g++)
                        pack.Invoke(g);
                    for (int u = 0; u < mUnits * nUnits; u++)
                        compute.Invoke(u);
                }
                else
                {
                    ParallelRuntime.For(packGroups, ref pack);
                    ParallelRuntime.For(mUnits * nUnits, ref compute);
                }
            }
        }
    }

    /// <summary>
    /// Whether an M x N x K product with <paramref name="threads"/> threads runs as a row split: at least two row panels
    /// per thread, and a whole packed B of at most <see cref="RowSplitMaxPackedB"/> floats. One thread takes it too: it
    /// then packs B as the general nest's single B block would, and the row split can read A in place.
    /// </summary>
    internal static bool UsesRowSplit(int m, int n, int k, GemmMicroKernel kernel, int threads)
    {
        if (CeilDiv(m, kernel.Mr) < 2 * threads)
            return false;
        int kBlocks = CeilDiv(k, kernel.Kc);
        return (long)kBlocks * CeilDiv(k, kBlocks) * RoundUp(n, kernel.Nr) <= RowSplitMaxPackedB;
    }

    /// <summary>
    /// The row split: one unit per row panel, handed out as threads arrive, so the threads finish at most one panel apart
    /// (at n = 256 the earlier units of five or six panels were each up to a quarter of a thread's share); the first unit a
    /// thread takes packs all of B, every k block, into that thread's workspace, and each unit then packs one A panel
    /// at a time (it stays in L1) and runs it over all of B's panels and k blocks. So a call is one parallel loop with
    /// no barrier between packing and compute, at the price of each further thread repeating B's K x N copy (against the
    /// M / threads x N x K multiply-adds it feeds). Where A's rows are contiguous and the micro-kernel has a
    /// <see cref="GemmMicroKernel.ComputeRowA"/> form, row panels (an edge panel of fewer rows included, computed with only
    /// its rows) are read in place instead of packed: an A panel meets
    /// only N / Nr B panels here, too few to repay its copy (at n = 128, packing A took a tenth of the micro-kernel's
    /// time). The tiles, their k blocks and their order are those of the general loop nest, so results are bitwise the same.
    /// </summary>
    private static void RunRowSplit<TPanels>(in GemmProblem p, TPanels panels, GemmMicroKernel kernel, int threads, int kBlocks, int kcMax)
        where TPanels : struct, IGemmPanels
    {
        int mPanels = CeilDiv(p.M, kernel.Mr);
        int units = threads == 1 ? 1 : mPanels;
        var body = new RowSplitBody<TPanels>(p, panels, kernel, kBlocks, kcMax, units, Interlocked.Increment(ref s_rowSplitStamp));
        if (threads == 1)
            body.Invoke(0);
        else
            ParallelRuntime.For(units, ref body);
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;

    private static int RoundUp(int x, int y) => CeilDiv(x, y) * y;

    private readonly struct PackABody<TPanels>(TPanels panels, int mr, int ic, int pc, int mc, int kc,
        float* packedA, int panelsPerGroup) : IParallelBody where TPanels : struct, IGemmPanels
    {
        public int PanelsPerGroup => panelsPerGroup;

        public void Invoke(int group)
        {
            int first = group * panelsPerGroup;
            int end = Math.Min(CeilDiv(mc, mr), first + panelsPerGroup);
            for (int q = first; q < end; q++)
            {
                int i0 = q * mr;
                panels.PackA(ic + i0, pc, Math.Min(mr, mc - i0), kc, mr, packedA + (nint)i0 * kc);
            }
        }
    }

    private readonly struct ComputeBody<TPanels>(in GemmProblem p, TPanels panels, GemmMicroKernel kernel, int ic, int pc, int mc, int kc,
        float* packedA, int mUnits, int nUnits, int maxPanelsPerUnit, float beta, bool lastKBlock) : IParallelBody
        where TPanels : struct, IGemmPanels
    {
        private readonly GemmProblem _p = p;
        private readonly bool _epilogue = lastKBlock && !p.Epilogue.IsNone;
        private readonly delegate*<int, float*, float*, float*, nint, float, float, void> _kernel = kernel.Compute;
        private readonly int _mr = kernel.Mr, _nr = kernel.Nr;

        // The last B panel may be narrower than Nr; a narrower kernel then wastes less on padding.
        private readonly GemmMicroKernel _lastKernel = kernel.NarrowestCovering(p.N - (p.N - 1) / kernel.Nr * kernel.Nr);

        [SkipLocalsInit]
        public void Invoke(int unit)
        {
            int mr = _mr, nr = _nr;
            int mPanels = CeilDiv(mc, mr), nPanels = CeilDiv(_p.N, nr);
            int mUnit = unit % mUnits, nUnit = unit / mUnits;
            int mFirst = (int)((long)mUnit * mPanels / mUnits), mEnd = (int)((long)(mUnit + 1) * mPanels / mUnits);
            int nFirst = (int)((long)nUnit * nPanels / nUnits), nEnd = (int)((long)(nUnit + 1) * nPanels / nUnits);

            // This thread's B block: the unit's columns over the k slice.
            float* packedB = GemmWorkspace.PackedB.Get(maxPanelsPerUnit * nr * kc);
            int lastNr = _lastKernel.Nr;
            for (int jq = nFirst; jq < nEnd; jq++)
            {
                int j0 = jq * nr;
                panels.PackB(pc, j0, Math.Min(nr, _p.N - j0), kc, jq == nPanels - 1 ? lastNr : nr, packedB + (nint)(jq - nFirst) * nr * kc);
            }

            float* tile = stackalloc float[MaxTileFloats];
            nint cRow = _p.CRowStride, cCol = _p.CColStride;
            float alpha = _p.Alpha;
            for (int q = mFirst; q < mEnd; q++)
            {
                int i0 = q * mr;
                int rows = Math.Min(mr, mc - i0);
                float* aPanel = packedA + (nint)i0 * kc;
                float* cRowBlock = _p.C + (ic + i0) * cRow;
                for (int jq = nFirst; jq < nEnd; jq++)
                {
                    int j0 = jq * nr;
                    int cols = Math.Min(nr, _p.N - j0);
                    bool last = jq == nPanels - 1;
                    var compute = last ? _lastKernel.Compute : _kernel;
                    int panelNr = last ? lastNr : nr;
                    float* bPanel = packedB + (nint)(jq - nFirst) * nr * kc;
                    float* cTile = cRowBlock + j0 * cCol;
                    Tile(compute, kc, aPanel, bPanel, panelNr, mr, rows, cols, cTile, cRow, cCol, alpha, beta, tile);
                    if (_epilogue)
                        _p.Epilogue.Apply(cTile, cRow, cCol, rows, cols, ic + i0, j0);
                }
            }
        }
    }

    private readonly struct RowSplitBody<TPanels>(in GemmProblem p, TPanels panels, GemmMicroKernel kernel, int kBlocks, int kcMax,
        int units, long stamp) : IParallelBody
        where TPanels : struct, IGemmPanels
    {
        private readonly GemmProblem _p = p;
        private readonly bool _epilogue = !p.Epilogue.IsNone;
        private readonly delegate*<int, float*, float*, float*, nint, float, float, void> _kernel = kernel.Compute;
        private readonly int _mr = kernel.Mr, _nr = kernel.Nr;
        private readonly GemmMicroKernel _lastKernel = kernel.NarrowestCovering(p.N - (p.N - 1) / kernel.Nr * kernel.Nr);

        // A read in place: float32 operands with contiguous rows of A, and a kernel that has the in-place form. The last
        // B panel's narrower kernel has none, so when it is used that panel still takes a packed A panel.
        private readonly delegate*<int, int, float*, nint, float*, float*, nint, float, float, void> _kernelRowA =
            typeof(TPanels) == typeof(Float32Panels) && p.AColStride == 1 ? kernel.ComputeRowA : null;
        private readonly bool _lastIsNarrow = kernel.NarrowestCovering(p.N - (p.N - 1) / kernel.Nr * kernel.Nr) != kernel;

        [SkipLocalsInit]
        public void Invoke(int unit)
        {
            int mr = _mr, nr = _nr;
            int mPanels = CeilDiv(_p.M, mr), nPanels = CeilDiv(_p.N, nr);
            int first = (int)((long)unit * mPanels / units), end = (int)((long)(unit + 1) * mPanels / units);
            float* packedB = PackedB(nPanels);
            float* aPanel = GemmWorkspace.PackedA.Get(mr * kcMax);
            float* tile = stackalloc float[MaxTileFloats];
            nint cRow = _p.CRowStride, cCol = _p.CColStride;
            float alpha = _p.Alpha;
            int lastNr = _lastKernel.Nr;
            for (int q = first; q < end; q++)
            {
                int i0 = q * mr;
                int rows = Math.Min(mr, _p.M - i0);
                float* cRowBlock = _p.C + i0 * cRow;
                // An edge panel of fewer rows is read in place too: the kernel then reads and writes only its rows.
                bool inPlace = _kernelRowA != null;
                for (int kb = 0; kb < kBlocks; kb++)
                {
                    int pc = kb * kcMax;
                    int kc = Math.Min(kcMax, _p.K - pc);
                    if (!inPlace || _lastIsNarrow)
                        panels.PackA(i0, pc, rows, kc, mr, aPanel);
                    float* aInPlace = _p.A + i0 * _p.ARowStride + pc;
                    float beta = pc == 0 ? _p.Beta : 1f;
                    bool epilogue = _epilogue && pc + kc == _p.K;
                    for (int jq = 0; jq < nPanels; jq++)
                    {
                        int j0 = jq * nr;
                        int cols = Math.Min(nr, _p.N - j0);
                        bool last = jq == nPanels - 1;
                        float* cTile = cRowBlock + j0 * cCol;
                        float* bPanel = packedB + ((nint)kb * nPanels + jq) * nr * kcMax;
                        if (inPlace && !(last && _lastIsNarrow))
                            TileRowA(_kernelRowA, rows, kc, aInPlace, _p.ARowStride, bPanel, nr, cols, cTile, cRow, cCol, alpha, beta, tile);
                        else
                            Tile(last ? _lastKernel.Compute : _kernel, kc, aPanel, bPanel, last ? lastNr : nr, mr, rows, cols, cTile, cRow, cCol, alpha, beta, tile);
                        if (epilogue)
                            _p.Epilogue.Apply(cTile, cRow, cCol, rows, cols, i0, j0);
                    }
                }
            }
        }

        // This thread's copy of all of B: panel jq of k block kb at (kb * nPanels + jq) * Nr * kcMax, packed by the
        // first unit the thread takes in this call.
        private float* PackedB(int nPanels)
        {
            var workspace = GemmWorkspace.PackedB;
            float* packed = workspace.Get(kBlocks * nPanels * _nr * kcMax);
            if (workspace.Stamp == stamp)
                return packed;
            int nr = _nr, lastNr = _lastKernel.Nr;
            for (int kb = 0; kb < kBlocks; kb++)
            {
                int pc = kb * kcMax;
                int kc = Math.Min(kcMax, _p.K - pc);
                for (int jq = 0; jq < nPanels; jq++)
                {
                    int j0 = jq * nr;
                    panels.PackB(pc, j0, Math.Min(nr, _p.N - j0), kc, jq == nPanels - 1 ? lastNr : nr,
                        packed + ((nint)kb * nPanels + jq) * nr * kcMax);
                }
            }
            workspace.Stamp = stamp;
            return packed;
        }
    }

    // One tile of C over one k block: straight into C when the tile is whole and C's columns are contiguous.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile(delegate*<int, float*, float*, float*, nint, float, float, void> compute, int kc, float* aPanel, float* bPanel,
        int panelNr, int mr, int rows, int cols, float* cTile, nint cRow, nint cCol, float alpha, float beta, float* tile)
    {
        if (rows == mr && cols == panelNr && cCol == 1)
        {
            compute(kc, aPanel, bPanel, cTile, cRow, alpha, beta);
        }
        else
        {
            // Edge or strided tile: compute the full tile aside, then write the part inside C.
            compute(kc, aPanel, bPanel, tile, panelNr, 1f, 0f);
            StoreTile(tile, panelNr, rows, cols, cTile, cRow, cCol, alpha, beta);
        }
    }

    // One tile as in Tile, from A in place: the kernel computes and stores only the panel's rows, so an edge panel of
    // fewer rows goes straight into C as well; only a column edge (or strided C) takes the tile aside.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TileRowA(delegate*<int, int, float*, nint, float*, float*, nint, float, float, void> compute, int rows, int kc,
        float* a, nint lda, float* bPanel, int nr, int cols, float* cTile, nint cRow, nint cCol, float alpha, float beta, float* tile)
    {
        if (cols == nr && cCol == 1)
        {
            compute(rows, kc, a, lda, bPanel, cTile, cRow, alpha, beta);
        }
        else
        {
            compute(rows, kc, a, lda, bPanel, tile, nr, 1f, 0f);
            StoreTile(tile, nr, rows, cols, cTile, cRow, cCol, alpha, beta);
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

/// <summary>Packs micro-panels of A and B (as float32) for <see cref="GemmPacked"/>.</summary>
internal unsafe interface IGemmPanels
{
    /// <summary>Rows [row, row + rows) x depth [depth, depth + kc) of A as one panel of <paramref name="mr"/> rows (see <see cref="GemmPacking.PackAPanel"/>).</summary>
    void PackA(int row, int depth, int rows, int kc, int mr, float* dst);

    /// <summary>Depth [depth, depth + kc) x columns [col, col + cols) of B as one panel of <paramref name="nr"/> columns (see <see cref="GemmPacking.PackBPanel"/>).</summary>
    void PackB(int depth, int col, int cols, int kc, int nr, float* dst);
}

/// <summary>Float32 operands, read through the problem's pointers and strides.</summary>
internal readonly unsafe struct Float32Panels(in GemmProblem p) : IGemmPanels
{
    private readonly float* _a = p.A, _b = p.B;
    private readonly nint _aRow = p.ARowStride, _aCol = p.AColStride, _bRow = p.BRowStride, _bCol = p.BColStride;

    public void PackA(int row, int depth, int rows, int kc, int mr, float* dst) =>
        GemmPacking.PackAPanel(_a + row * _aRow + depth * _aCol, _aRow, _aCol, rows, kc, mr, dst);

    public void PackB(int depth, int col, int cols, int kc, int nr, float* dst) =>
        GemmPacking.PackBPanel(_b + depth * _bRow + col * _bCol, _bRow, _bCol, cols, kc, nr, dst);
}
