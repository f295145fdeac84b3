namespace ShapeSafe.Analyzers.Tests;

/// <summary>Layers held in arrays, ModuleList fields and Sequential chains built from arrays, iterated by foreach or indexed.</summary>
public class LayerCollectionTests
{
    [Fact]
    public Task Foreach_over_an_array_of_different_layers_checks_each_layer_in_turn() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            [return: Shape("B, 10")]
            Tensor Good([Shape("B, 784")] Tensor x)
            {
                var layers = new[] { new Linear(784, 256), new Linear(256, 64), new Linear(64, 10) };
                foreach (var layer in layers) x = layer.Forward(x).Relu();
                return x;
            }

            Tensor Bad([Shape("B, 784")] Tensor x)
            {
                var layers = new[] { new Linear(784, 256), new Linear(128, 10) };
                foreach (var layer in layers) x = layer.Forward({|SS0008:x|});
                return x;
            }

            [return: Shape("B, 10")]
            Tensor WrongReturn([Shape("B, 784")] Tensor x)
            {
                var layers = new[] { new Linear(784, 256), new Linear(256, 12) };
                foreach (var layer in layers) x = layer.Forward(x);
                return {|SS0007:x|};
            }

            Tensor Empty([Shape("B, 784")] Tensor x)
            {
                var layers = new Linear[0];
                foreach (var layer in layers) x = layer.Forward(x); // unknown layers: silent
                return x.Matmul(Tensor.Randn(784, 3));
            }
        }
        """);

    [Fact]
    public Task A_break_out_of_the_loop_joins_like_any_branch() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            Tensor M([Shape("B, 784")] Tensor x, bool stop)
            {
                var layers = new[] { new Linear(784, 256), new Linear(256, 10) };
                foreach (var layer in layers)
                {
                    x = layer.Forward(x);
                    if (stop) break;
                }
                return x.Matmul(Tensor.Randn(10, 3)); // [B, 256] when it stopped early: not certain
            }
        }
        """);

    [Fact]
    public Task ModuleList_fields_are_indexed_and_iterated() => Verify.Shapes("""
        using System.Linq;
        using ShapeSafe;
        using ShapeSafe.NN;
        class Tower : Module
        {
            readonly ModuleList<Linear> _layers;
            readonly ModuleList<Linear> _blocks;
            readonly ModuleList<Linear> _wrong = new ModuleList<Linear> { new Linear(64, 64), new Linear(32, 64) };

            public Tower([Dim("D")] int dim, int depth)
            {
                _layers = new ModuleList<Linear>(new[] { new Linear(dim, 64), new Linear(64, 10) });
                _blocks = new ModuleList<Linear>(Enumerable.Range(0, depth).Select(_ => new Linear(dim, dim)));
            }

            [return: Shape("B, 10")]
            public Tensor Forward([Shape("B, D")] Tensor x)
            {
                foreach (var block in _blocks) x = block.Forward(x) + x;
                foreach (var layer in _layers) x = layer.Forward(x);
                return x;
            }

            public Tensor First([Shape("B, 32")] Tensor x) => _layers[1].Forward({|SS0008:x|});
            public Tensor Maybe([Shape("B, 64")] Tensor x) => _layers[0].Forward({|SS0008:x|}); // only when D is 64

            public Tensor Wrong([Shape("B, 64")] Tensor x)
            {
                foreach (var layer in _wrong) x = layer.Forward({|SS0008:x|});
                return x;
            }

            public Tensor Blocks([Shape("B, E")] Tensor x)
            {
                foreach (var block in _blocks) x = block.Forward({|SS0008:x|}); // D and E are different names
                return x;
            }
        }
        """);

    [Fact]
    public Task A_ModuleList_filled_later_is_not_assumed_empty() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class Tower : Module
        {
            readonly ModuleList<Linear> _layers = new ModuleList<Linear>();
            public ModuleList<Linear> Visible { get; } = new ModuleList<Linear> { new Linear(8, 8) };

            public Tower(int depth)
            {
                for (int i = 0; i < depth; i++) _layers.Add(new Linear(64, 64));
            }

            [return: Shape("B, 64")]
            public Tensor Forward([Shape("B, 32")] Tensor x)
            {
                foreach (var layer in _layers) x = layer.Forward(x);
                foreach (var layer in Visible) x = layer.Forward(x);
                return x;
            }
        }
        """);

    [Fact]
    public Task Sequential_built_from_an_array_field_or_local_is_followed() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class Net : Module
        {
            readonly Module[] _stages = { new Linear(784, 128), new ReLU(), new Linear(128, 10) };
            readonly Sequential _head;

            public Net() => _head = new Sequential(_stages);

            [return: Shape("B, 10")]
            public Tensor Forward([Shape("B, 784")] Tensor x) => _head.Forward(x);

            public Tensor Local([Shape("B, 784")] Tensor x)
            {
                var stages = new Module[] { new Linear(784, 128), new ReLU(), new Linear(64, 10) };
                return new Sequential(stages).Forward({|SS0008:x|});
            }

            public Tensor Indexed([Shape("B, 100")] Tensor x) => ((Linear)_stages[0]).Forward({|SS0008:x|});
        }
        """);
}
