namespace ShapeSafe.Analyzers.Tests;

public class LayerTests
{
    [Fact]
    public Task Linear_in_features_checked_through_Dim_bindings_is_SS0008() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        using TestLayers;
        class Mlp : Module
        {
            readonly Dense _fc1;
            readonly Dense _fc2;
            readonly Dense _head;

            public Mlp([Dim("H")] int hidden)
            {
                _fc1 = new Dense(784, hidden);
                _head = new Dense(hidden, 10);
                _fc2 = new Dense(hidden * 2, 10);
            }

            [return: Shape("B, 10")]
            public Tensor Forward([Shape("B, 784")] Tensor x) => _head.Forward(new Act().Forward(_fc1.Forward(x)));

            [return: Shape("B, 10")]
            public Tensor Wrong([Shape("B, 784")] Tensor x) => _fc2.Forward({|SS0008:_fc1.Forward(x)|});

            public Tensor Maybe([Shape("B, 784")] Tensor x) => new Dense(128, 10).Forward({|#0:_fc1.Forward(x)|}); // only when H is 128

            public Tensor Local([Shape("B, 512")] Tensor x)
            {
                var fc = new Dense(784, 10);
                return fc.Forward({|SS0008:x|});
            }
        }
        """,
        // A name is any size the caller chooses: H fits a 128-wide layer only when it is 128, and the message says so.
        Verify.Diagnostic("SS0008").WithLocation(0).WithOptions(Microsoft.CodeAnalysis.Testing.DiagnosticOptions.IgnoreAdditionalLocations)
            .WithMessage("Dense.Forward: input [B, H] does not fit the layer (In = 128): dim 1 is H, expected In = 128 (it fits only when H is 128)"));

    [Fact]
    public Task Sequential_chains_and_conv_channels() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        using TestLayers;
        class Cnn : Module
        {
            readonly Conv _conv = new Conv(3, 16, 3);

            [return: Shape("N, 10")]
            public Tensor Forward([Shape("N, 3, 32, 32")] Tensor image)
            {
                var features = _conv.Forward(image);           // [N, 16, 30, 30]
                var flat = features.Flatten(1);
                var head = new Sequential(new Dense(16 * 30 * 30, 64), new Act(), new Dense(64, 10));
                return head.Forward(flat);
            }

            public Tensor Gray([Shape("N, 1, 32, 32")] Tensor image) => _conv.Forward({|SS0008:image|});

            public Tensor Chain([Shape("N, 100")] Tensor x)
            {
                var head = new Sequential(new Dense(100, 64), new Act(), new Dense(32, 10));
                return head.Forward({|SS0008:x|});
            }
        }
        """);
}
