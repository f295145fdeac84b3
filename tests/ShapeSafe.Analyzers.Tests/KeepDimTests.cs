namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// A reduction broadcast back against its input (<c>x - x.Mean(1)</c>) fails when the reduced dim is dropped; SS0005
/// then says that keepDim: true would keep it, and only when it would make the operator work for every size.
/// </summary>
public class KeepDimTests
{
    [Fact]
    public async Task A_dropped_dim_that_keepDim_would_keep_is_named_in_the_message()
    {
        var shown = await Inferred.In("""[Shape("B, T, C")] Tensor x""", """
            var centered = x - x.Mean(1);
            var scaled = x / x.Std(-1);
            var both = x.Sum(new[] { 1, 2 }) * x;
            var peak = x - x.Max(1).Values;
            var stated = x - x.Var(1, keepDim: false);
            """);
        Assert.Equal(new[]
        {
            "SS0005 9: Sub: [B, T, C] and [B, C] do not broadcast: the size of tensor a (T) must match the size of tensor b (B) at non-singleton dimension 1. Possible only when T = B, T is 1 or B is 1. Mean with keepDim: true keeps dim 1 as size 1 ([B, 1, C]), which broadcasts.",
            "SS0005 10: Div: [B, T, C] and [B, T] do not broadcast: the size of tensor a (C) must match the size of tensor b (T) at non-singleton dimension 2. Possible only when T is 1. Std with keepDim: true keeps dim 2 as size 1 ([B, T, 1]), which broadcasts.",
            "SS0005 11: Mul: [B] and [B, T, C] do not broadcast: the size of tensor a (B) must match the size of tensor b (C) at non-singleton dimension 2. Possible only when B = C, B is 1 or C is 1. Sum with keepDim: true keeps dims 1, 2 as size 1 ([B, 1, 1]), which broadcasts.",
            "SS0005 12: Sub: [B, T, C] and [B, C] do not broadcast: the size of tensor a (T) must match the size of tensor b (B) at non-singleton dimension 1. Possible only when T = B, T is 1 or B is 1. Max with keepDim: true keeps dim 1 as size 1 ([B, 1, C]), which broadcasts.",
            "SS0005 13: Sub: [B, T, C] and [B, C] do not broadcast: the size of tensor a (T) must match the size of tensor b (B) at non-singleton dimension 1. Possible only when T = B, T is 1 or B is 1. Var with keepDim: true keeps dim 1 as size 1 ([B, 1, C]), which broadcasts.",
        }, shown);
    }

    [Fact]
    public async Task No_note_when_keepDim_would_not_help_or_the_shapes_already_broadcast()
    {
        var shown = await Inferred.In("""[Shape("B, T, C")] Tensor x, [Shape("B, T")] Tensor mask, [Shape("B, C")] Tensor bias""", """
            var kept = x - x.Mean(1, keepDim: true);
            var pooled = x.Mean(1) + bias;
            var weights = x.Sum(-1) * mask;
            var wrong = x.Mean(1) + mask;
            var unknown = x - x.Mean(x.Rank - 1 - 1 + 1 - 1);
            """);
        Assert.Equal(new[]
        {
            "kept [B, T, C]",
            "pooled [B, C]",
            "weights [B, T]",
            // keepDim gives [B, 1, C], which does not broadcast against [B, T] either: no note.
            "SS0005 12: Add: [B, C] and [B, T] do not broadcast: the size of tensor a (C) must match the size of tensor b (T) at non-singleton dimension 1. Possible only when C = T, C is 1 or T is 1.",
            // The dim is computed, not a constant the fix could keep: no note.
            "SS0005 13: Sub: [B, T, C] and [B, C] do not broadcast: the size of tensor a (T) must match the size of tensor b (B) at non-singleton dimension 1. Possible only when T = B, T is 1 or B is 1.",
        }, shown);
    }
}
