using ShapeSafe.NN;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// The minimum cut's choices run: graphs that save a value the backward does not read so as to recompute several
/// it does give the saving graph's results bit for bit, and save the bytes the cut counted, strictly fewer than
/// recomputing only from values the backward reads anyway would.
/// </summary>
public partial class RecomputationTests
{
    [Fact]
    public void A_narrow_column_saved_instead_of_the_wide_values_made_from_it_matches_bit_for_bit()
    {
        AssertRecomputingMatches(() => new GatedSum(), (m, o) => m.Compile(o), c => ((GatedSum.Compiled)c).Forward, [6, 8], [3, 8], eagerTolerance: 0);
    }

    [Fact]
    public void One_value_saved_instead_of_its_two_uses_matches_bit_for_bit()
    {
        AssertRecomputingMatches(() => new TwoUses(), (m, o) => m.Compile(o), c => ((TwoUses.Compiled)c).Forward, [6, 8], [3, 8], eagerTolerance: 0);
    }

    [Fact]
    public void The_cut_saves_fewer_bytes_than_recomputing_only_from_values_the_backward_reads()
    {
        // GatedSum at N = 5: the gate's column G [5, 1] (20 bytes), the sum A and the GELUs H1, H2 [5, 8] (160 each).
        // Saving keeps A, H1 and H2 (480); recomputing only from read values would keep A (160); the cut keeps G.
        Assert.Equal(3 * 160, new GatedSum().Compile().MemoryReport([5, 8]).SavedBytes);
        Assert.Equal(20, new GatedSum().Compile(Recompute).MemoryReport([5, 8]).SavedBytes);
        // TwoUses at N = 5: m, m·2, m - 3 and their product, [5, 16] each (320 bytes). Saving keeps the three the
        // backward reads (960); recomputing only from read values would keep m·2 and m - 3 (640); the cut keeps m.
        Assert.Equal(3 * 320, new TwoUses().Compile().MemoryReport([5, 8]).SavedBytes);
        Assert.Equal(320, new TwoUses().Compile(Recompute).MemoryReport([5, 8]).SavedBytes);
        // Chains at N = 5, every value [5, 16] (320 bytes): saving keeps fc1's output, the GELU, the sigmoid, the
        // ReLU, the sum and fc3's (6); the depth-limited rule kept the sum too (4); the cut keeps fc1's, the sigmoid
        // and fc3's (3).
        Assert.Equal(6 * 320, new Chains().Compile().MemoryReport([5, 12]).SavedBytes);
        Assert.Equal(3 * 320, new Chains().Compile(Recompute).MemoryReport([5, 12]).SavedBytes);
    }

    [Fact]
    public void The_cut_minimizes_saved_bytes_not_the_peak_a_recomputed_chain_made_at_once_can_raise()
    {
        // GatedSum at N = 5: forward steps 0-4 (gate G, sum A, GELU H1, GELU H2, fc), backward 5-9; [5, 8] is 160
        // bytes, [5, 1] 20. Saving: at fc's backward (5) A, H1, H2 and H2's gradient are live (640), in four slots.
        Assert.Equal(new CompiledMemoryReport(SavedBytes: 480, PeakBytes: 640, ArenaBytes: 640), new GatedSum().Compile().MemoryReport([5, 8]));
        // Recomputing: at step 5, A, H1 and H2 are all made again (H2 needs both), beside G and H2's gradient: 660.
        // The slots: G, then G's gradient, then H1's gradient (one slot); A, H2, their gradients (one); H1 then A
        // again; H1 again; H2 again: five of 160.
        Assert.Equal(new CompiledMemoryReport(SavedBytes: 20, PeakBytes: 660, ArenaBytes: 800), new GatedSum().Compile(Recompute).MemoryReport([5, 8]));
    }
}
