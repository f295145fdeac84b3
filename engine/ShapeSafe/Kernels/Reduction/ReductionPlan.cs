namespace ShapeSafe.Kernels.Reduction;

/// <summary>
/// A reduction seen as a contiguous <c>[Outer, Reduced, Inner]</c> block: output element <c>o * Inner + i</c>
/// combines <c>Source[Start + (o * Reduced + r) * Inner + i]</c> over r. Adjacent dims with the same role merge, so
/// reducing one dim (or a run of dims) never copies a contiguous input; several separate reduced runs are permuted
/// to the end and copied once. Output elements come out in row-major order of the kept dims.
/// </summary>
internal readonly struct ReductionPlan
{
    public readonly Tensor Source;
    public readonly int Start, Outer, Reduced, Inner;

    ReductionPlan(Tensor source, int outer, int reduced, int inner)
    {
        Source = source;
        Start = source.Offset;
        Outer = outer;
        Reduced = reduced;
        Inner = inner;
    }

    /// <summary>The plan for reducing the dims flagged in <paramref name="reduced"/> (from <c>Rules.ReducedDims</c>).</summary>
    public static ReductionPlan Create(Tensor input, bool[] reduced)
    {
        var x = input.Contiguous();
        var sizes = x.Sizes;
        int rank = sizes.Length;

        // Count the separate runs of reduced dims (size-1 dims play no part).
        int runs = 0;
        bool inRun = false;
        for (int i = 0; i < rank; i++)
        {
            if (sizes[i] == 1) continue;
            if (reduced[i] && !inRun) runs++;
            inRun = reduced[i];
        }

        if (runs <= 1)
        {
            int outer = 1, r = 1, inner = 1;
            bool seen = false;
            for (int i = 0; i < rank; i++)
            {
                if (sizes[i] == 1) continue;
                if (reduced[i]) { r *= sizes[i]; seen = true; }
                else if (seen) inner *= sizes[i];
                else outer *= sizes[i];
            }
            // Size-0 kept dims leave nothing to compute; keep the products honest for callers.
            return new ReductionPlan(x, outer, r, inner);
        }

        var perm = new int[rank];
        int k = 0, kept = 1, red = 1;
        for (int i = 0; i < rank; i++)
            if (!reduced[i]) { perm[k++] = i; kept *= sizes[i]; }
        for (int i = 0; i < rank; i++)
            if (reduced[i]) { perm[k++] = i; red *= sizes[i]; }
        var permuted = x.Permute(perm).Contiguous();
        return new ReductionPlan(permuted, kept, red, 1);
    }
}
