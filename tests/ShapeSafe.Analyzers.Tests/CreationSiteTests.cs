extern alias Analyzers;

using Microsoft.CodeAnalysis.Testing;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// A module of the project created with constants is checked for those sizes at the creation: its constructor runs
/// with the arguments, its Forward with the fields that gives, and what fails for every input size is reported at
/// the creation and at the failing line.
/// </summary>
public class CreationSiteTests
{
    const string Bottleneck = """
        using ShapeSafe;
        using ShapeSafe.NN;

        public sealed class Bottleneck : Module
        {
            readonly Conv2d _reduce, _expand;
            readonly int _mid;

            public Bottleneck([Dim("C")] int channels, int mid)
            {
                _mid = mid;
                int widened = mid * 2;
                _reduce = new Conv2d(channels, mid, 1);
                _expand = new Conv2d(widened, channels, 1);
            }

            [return: Shape("N, C, H, W")]
            public Tensor Forward([Shape("N, C, H, W")] Tensor x)
            {
                var h = _reduce.Forward(x).Relu();
                return _expand.Forward(h) + x;
            }
        }
        """;

    [Fact]
    public Task A_block_is_checked_for_the_constants_it_is_built_with_where_they_are_written()
    {
        var test = new Verify.AnalyzerTest<Analyzers::ShapeSafe.Analyzers.ShapeAnalyzer>
        {
            TestCode = """
                using ShapeSafe;
                using ShapeSafe.NN;

                class Net : Module
                {
                    readonly Bottleneck _wrong = {|#0:new Bottleneck(256, 128)|};
                    readonly Sequential _stack = new Sequential(new Conv2d(3, 64, 3), {|#1:new Bottleneck(64, 16)|});

                    public Net()
                    {
                        var local = {|#2:new Bottleneck(32, 8)|};
                    }
                }
                """,
        };
        test.TestState.Sources.Add(("Bottleneck.cs", Bottleneck));
        // _expand takes 2·mid channels but _reduce gives mid: fails for every input, only visible with the sizes.
        foreach (var (marker, site, mid) in new[] { (0, "Bottleneck(256, 128)", 128), (1, "Bottleneck(64, 16)", 16), (2, "Bottleneck(32, 8)", 8) })
        {
            test.ExpectedDiagnostics.Add(Verify.Diagnostic("SS0008").WithLocation(marker).WithLocation("Bottleneck.cs", 21, 32).WithLocation("Bottleneck.cs", 14, 30)
                .WithMessage($"{site}: Conv2d.Forward: input [N, {mid}, H, W] has {mid} channels at dim 1, but weight [{site.Split('(', ',')[1].Trim()}, {2 * mid}, 1, 1] expects {2 * mid} (groups = 1)"));
        }
        return test.RunAsync();
    }
}
