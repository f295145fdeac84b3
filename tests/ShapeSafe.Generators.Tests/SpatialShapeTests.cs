using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Tests;

/// <summary>
/// The symbolic shapes of the compiled spatial layers' values, each from the shared rule the eager layer checks with:
/// AvgPool2d's ceil arithmetic, the adaptive pool's output size, the transposed convolution's output padding, the
/// pad rule and the interpolation's size.
/// </summary>
public class SpatialShapeTests
{
    static GraphShapes Shapes(string source, string typeName)
    {
        var compilation = GeneratorHarness.Compile(("Model0.cs", source));
        var type = compilation.GetTypeByMetadataName(typeName)!;
        var model = ModuleGenerator.Parser.Parse(type, ModuleTypes.TryCreate(compilation)!, report: null, CancellationToken.None, compilation)!;
        return model.Forward!.Shapes!;
    }

    [Fact]
    public void Each_spatial_layers_output_shape_comes_from_the_shared_rule()
    {
        var shapes = Shapes("""
            using ShapeSafe;
            using ShapeSafe.NN;
            namespace Demo;
            [Module]
            public partial class Net : Module
            {
                readonly AvgPool2d _avg = new(3, stride: 2, padding: 1, ceilMode: true);
                readonly GroupNorm _norm = new(3, 3);
                readonly AdaptiveAvgPool2d _pool = new((2, 3));
                readonly ConvTranspose2d _up = new(3, 4, 3, stride: 2, padding: 1, outputPadding: 1);
                readonly Upsample _resize = new(size: (5, 7));
                public Tensor Forward([Shape("B, 3, 9, 10")] Tensor x) =>
                    _resize.Forward(F.Pad(_up.Forward(_pool.Forward(_norm.Forward(_avg.Forward(x)))), new[] { 1, 1, 2, 2 }, "reflect"));
            }
            """, "Demo.Net");
        // AvgPool2d with ceil mode: H (9 + 2 - 3) / 2 + 1 = 5; W ceil((10 + 2 - 3) / 2) + 1 = 6 (floor would give 5).
        // ConvTranspose2d: (2 - 1)·2 - 2 + 2 + 1 + 1 = 4 and (3 - 1)·2 - 2 + 2 + 1 + 1 = 6. The pad adds 4 rows and 2 columns.
        Assert.Equal(new[] { "[B, 3, 9, 10]", "[B, 3, 5, 6]", "[B, 3, 5, 6]", "[B, 3, 2, 3]", "[B, 4, 4, 6]", "[B, 4, 8, 8]", "[B, 4, 5, 7]" }, shapes.Values);
    }
}
