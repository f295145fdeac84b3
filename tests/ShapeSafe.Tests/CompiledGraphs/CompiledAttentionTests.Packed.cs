using ShapeSafe.CompiledGraphs;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

// The in-projection as one product on the packed weight (GraphOps.TransformerFused.cs), at sizes where the plan
// packs it: outputs and every gradient bit for bit eager mode's, in training mode and eval mode, two batch sizes.
public partial class CompiledAttentionTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Wide_encoder_layer_with_a_packed_in_projection_matches_eager(bool normFirst, bool batchFirst)
    {
        var compiled = new WideEncoderLayerNet(normFirst, batchFirst, new Generator(11)).Compile();
        Assert.True(compiled.IsCompiled);
        int[] a = batchFirst ? [8, 16, 128] : [16, 8, 128], b = batchFirst ? [16, 12, 128] : [12, 16, 128];
        foreach (var shape in new[] { a, b })
            Assert.True(GraphOps.PacksInProjection(GraphOps.PlanSelfAttention(shape, compiled.Module.Layer.SelfAttn)));
        AssertMatchesEager(new WideEncoderLayerNet(normFirst, batchFirst, new Generator(11)), compiled.Module, compiled.Forward, a, b, 0, 0);
        Assert.Equal(0, compiled.EagerCalls);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(true, false)]
    public void Wide_self_attention_with_a_packed_in_projection_matches_eager(bool batchFirst, bool bias)
    {
        var compiled = new WideAttentionNet(batchFirst, bias, new Generator(12)).Compile();
        Assert.True(compiled.IsCompiled);
        int[] a = batchFirst ? [8, 16, 128] : [16, 8, 128], b = batchFirst ? [6, 24, 128] : [24, 6, 128];
        foreach (var shape in new[] { a, b })
            Assert.True(GraphOps.PacksInProjection(GraphOps.PlanSelfAttention(shape, compiled.Module.Attention)));
        AssertMatchesEager(new WideAttentionNet(batchFirst, bias, new Generator(12)), compiled.Module, compiled.Forward, a, b, 0, 0);
    }

    [Fact]
    public void The_in_projection_is_packed_only_where_each_third_takes_the_packed_route()
    {
        var attention = new ShapeSafe.NN.MultiheadAttention(128, 4);
        // 127 rows x 128 x 128 is below the unpacked route's limit, 128 rows is not.
        Assert.False(GraphOps.PacksInProjection(GraphOps.PlanSelfAttention([127, 1, 128], attention)));
        Assert.True(GraphOps.PacksInProjection(GraphOps.PlanSelfAttention([128, 1, 128], attention)));
        Assert.False(GraphOps.PacksInProjection(GraphOps.PlanSelfAttention([6, 4, 32], new ShapeSafe.NN.MultiheadAttention(32, 4))));
    }
}
