using Microsoft.CodeAnalysis;
using static ShapeSafe.Generators.Tests.Verify;

namespace ShapeSafe.Generators.Tests;

// The spatial and normalization layers compiled as one composite step each over the bound eager layer (AvgPool2d,
// AdaptiveAvgPool2d, AdaptiveMaxPool2d, GroupNorm, Conv1d, ConvTranspose2d, Upsample), and the breaks that remain.
// Their values and gradients are compared with eager mode in tests/ShapeSafe.Tests/CompiledGraphs/CompiledSpatialTests.cs.
public partial class CompiledGraphTests
{
    [Fact]
    public void A_resnet_stem_is_a_convolution_a_group_norm_step_relu_a_global_pool_step_and_a_linear_layer()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Stem : Module
            {
                readonly Conv2d _conv = new(3, 8, 3, padding: 1);
                readonly GroupNorm _norm = new(2, 8);
                readonly AdaptiveAvgPool2d _pool = new(1);
                readonly Linear _head = new(8, 5);
                public Tensor Forward(Tensor x) => _head.Forward(_pool.Forward(F.Relu(_norm.Forward(_conv.Forward(x)))).Flatten(1, -1));
            }
            """);
        var lines = Lines(files["Demo.Stem.g.cs"]);
        var kernels = Kernels(lines);
        Assert.Contains("Layer(plan.NormPlan, _norm, b.Conv, b.Norm, b.NormState, record);", kernels);
        Assert.Contains("Layer(plan.PoolPlan, _pool, b.Relu, b.Pool, b.PoolState, record);", kernels);
        // The norm's weight and bias get their gradients from the layer's own backward, in registration order.
        Assert.Contains("LayerBackward(_norm, b.NormState, b.NormGrad, b.ConvGrad, accumulateInput: false, gradNormWeight, gradNormBias); // weight, bias", kernels);
        Assert.Contains("LayerBackward(_pool, b.PoolState, b.PoolGrad, b.ReluGrad, accumulateInput: false);", kernels);
        Assert.Contains("NormPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanLayer(ConvShape, graph._norm, parameters: 2);", lines);
        Assert.Contains("PoolPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanLayer(ReluShape, graph._pool, parameters: 0);", lines);
        Assert.Contains("public readonly global::ShapeSafe.CompiledGraphs.LayerState NormState = new global::ShapeSafe.CompiledGraphs.LayerState();", lines);
        // GroupNorm's weight is nullable (null without affine): read with !.
        Assert.Contains(lines, l => l.Contains("NewGradient(_norm.Weight!)"));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public void Each_compiled_layer_is_one_step_and_its_parameters_follow_its_options()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly AvgPool2d _avg = new(3, stride: 2, padding: 1, countIncludePad: false, ceilMode: true, divisorOverride: 2);
                readonly AdaptiveMaxPool2d _max = new((4, 4));
                readonly GroupNorm _plain = new(1, 4, affine: false);
                readonly ConvTranspose2d _up = new(4, 6, 3, stride: 2, padding: 1, outputPadding: 1, bias: false);
                readonly Upsample _resize = new(2.0, mode: "bilinear", alignCorners: true);
                public Tensor Forward(Tensor x) => _resize.Forward(_up.Forward(_plain.Forward(_max.Forward(_avg.Forward(x)))));
            }
            """);
        var lines = Lines(files["Demo.Net.g.cs"]);
        var kernels = Kernels(lines);
        // Below the transposed convolution (the first layer with a parameter) the gradients are computed only when x needs one.
        Assert.Equal(new[]
        {
            "LayerBackward(_resize, b.ResizeState, g, b.UpGrad, accumulateInput: false);",
            "LayerBackward(_up, b.UpState, b.UpGrad, (((needs & 0x1UL) != 0) ? b.PlainGrad : null), accumulateInput: false, gradUpWeight); // weight",
            "LayerBackward(_plain, b.PlainState, b.PlainGrad, (((needs & 0x1UL) != 0) ? b.MaxGrad : null), accumulateInput: false);",
            "LayerBackward(_max, b.MaxState, b.MaxGrad, (((needs & 0x1UL) != 0) ? b.AvgGrad : null), accumulateInput: false);",
            "LayerBackward(_avg, b.AvgState, b.AvgGrad, gradX, accumulateInput: false);",
        }, kernels.Where(k => k.StartsWith("LayerBackward(", System.StringComparison.Ordinal)).ToArray());
        Assert.Contains("UpPlan = global::ShapeSafe.CompiledGraphs.GraphOps.PlanLayer(PlainShape, graph._up, parameters: 1);", lines);
        Assert.Equal(5, kernels.Count(k => k.StartsWith("Layer(", System.StringComparison.Ordinal)));
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_a_group_norm_whose_affine_is_not_known_at_build_time() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly GroupNorm _norm;
            public Net(bool affine) => _norm = new GroupNorm(2, 8, affine: affine);
            public Tensor Forward(Tensor x) => {|#0:_norm.Forward(x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: GroupNorm norm's affine is not known at build time (the graph takes a gradient for each of its parameters: create it in its member's initializer or the constructor with a constant affine)"));

    [Fact]
    public Task SS2009_for_a_conv1d_whose_bias_is_not_known_at_build_time() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly Conv1d _conv;
            public Net(bool bias) => _conv = new Conv1d(4, 6, 3, bias: bias);
            public Tensor Forward(Tensor x) => {|#0:_conv.Forward(x)|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 8: Conv1d conv's bias is not known at build time (the graph takes a gradient for each of its parameters: create it in its member's initializer or the constructor with a constant bias)"));

    [Fact]
    public void F_pad_and_f_interpolate_with_constant_options_are_steps_over_the_eager_functions()
    {
        var (files, output) = GeneratorHarness.Run("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly Linear _fc = new(6, 6);
                public Tensor Forward(Tensor x) => F.Interpolate(F.Pad(_fc.Forward(x), new[] { 1, 2, 0, 1 }, "reflect"), scaleFactor: 2.0);
            }
            """);
        var lines = Lines(files["Demo.Net.g.cs"]);
        var kernels = Kernels(lines);
        Assert.Contains("Function(plan.PadPlan, static x => global::ShapeSafe.NN.F.Pad(x, pad: new[] { 1, 2, 0, 1 }, mode: \"reflect\"), b.Fc, b.Pad, b.PadState, record);", kernels);
        Assert.Contains("Function(plan.InterpolatePlan, static x => global::ShapeSafe.NN.F.Interpolate(x, scaleFactor: 2.0), b.Pad, output, b.InterpolateState, record);", kernels);
        Assert.Contains("FunctionBackward(b.PadState, b.PadGrad, b.FcGrad, accumulateInput: false);", kernels);
        Assert.Empty(GeneratorHarness.Problems(output));
    }

    [Fact]
    public Task SS2009_for_an_f_pad_whose_sizes_are_not_constants() => Diagnostics("""
        using ShapeSafe;
        using ShapeSafe.NN;
        [Module]
        public partial class Net : Module
        {
            readonly int[] _pad = { 1, 1 };
            public Tensor Forward(Tensor x) => {|#0:F.Pad(x, _pad, "reflect")|};
        }
        """,
        Diagnostic("SS2009", DiagnosticSeverity.Info).WithLocation(0)
            .WithArguments("Net", "line 7: F.Pad's pad is not a constant (the graph writes the call's options into its code)"));
}
