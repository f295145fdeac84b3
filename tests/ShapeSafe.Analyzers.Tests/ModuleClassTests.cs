namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// A <c>[Module] partial class</c> writes no registration code, and the analyzer still sees its layers: fields and
/// properties created in initializers and in the constructor, with their <c>[Dim]</c> bindings.
/// </summary>
public class ModuleClassTests
{
    [Fact]
    public Task Layers_of_a_Module_class_are_checked_without_registration_code() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        using TestLayers;

        [Module]
        public partial class Net : Module
        {
            readonly Dense _fc1 = new(784, 256);
            readonly Dense _fc2;
            readonly Dense[] _heads;
            [Buffer] Tensor scale = Tensor.Ones(10);

            public Net([Dim("H")] int hidden)
            {
                _fc2 = new Dense(128, hidden);
                _heads = [new Dense(hidden, 10), new Dense(hidden, 10)];
            }

            Dense Head { get; } = new(10, 2);

            [return: Shape("B, 10")]
            public Tensor Forward([Shape("B, 784")] Tensor x) => _heads[0].Forward(_fc2.Forward({|SS0008:_fc1.Forward(x)|})) * scale;

            [return: Shape("B, 2")]
            public Tensor Other([Shape("B, 784")] Tensor x) => Head.Forward({|SS0008:_fc1.Forward(x)|});
        }
        """);
}
