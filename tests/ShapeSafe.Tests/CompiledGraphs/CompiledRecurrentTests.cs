using ShapeSafe.NN;
using ShapeSafe.Shapes;
using static ShapeSafe.Tests.CompiledGraphs.CompiledModels;

namespace ShapeSafe.Tests.CompiledGraphs;

/// <summary>
/// Compiled LSTM, GRU and RNN layers against the same modules run eagerly: outputs and every gradient (of each
/// parameter and each float input), in training mode (dropout between layers drawn from the default generator) and in
/// eval mode, for two batch sizes and two sequence lengths in one process, the first shape again last (the guard's
/// cached plan).
/// </summary>
[Collection(nameof(DefaultGeneratorCollection))]
public class CompiledRecurrentTests
{
    sealed record Result(float[] Output, Dictionary<string, float[]> Grads, float[][] InputGrads);

    static Result Step(Module model, Func<Tensor[], Tensor> forward, Tensor[] data, long seed)
    {
        model.ZeroGrad();
        var inputs = data.Select(d => d.Clone()).ToArray();
        foreach (var input in inputs.Where(i => i.DType == DType.Float32)) input.RequiresGrad = true;
        Generator.Default.ManualSeed(seed);
        var y = forward(inputs);
        var weights = Tensor.Arange(y.NumEl).Reshape(y.Shape.ToArray()).Mul(0.01f).Sin();
        y.Mul(weights).Sum().Backward();
        return new Result(y.Detach().ToFloatArray(), model.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter.Grad!.ToFloatArray()),
            inputs.Where(i => i.DType == DType.Float32).Select(i => i.Grad!.ToFloatArray()).ToArray());
    }

    /// <summary>Bitwise equality when <paramref name="tolerance"/> is 0, else within it relative to the largest magnitude.</summary>
    static void AssertSame(float[] expected, float[] actual, string what, double tolerance = 0)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Select(v => Math.Abs((double)v)).DefaultIfEmpty(0).Max();
        for (int i = 0; i < expected.Length; i++)
        {
            bool same = tolerance == 0
                ? BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i])
                : Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(scale, 1e-30);
            if (!same) Assert.Fail($"{what}[{i}]: eager {expected[i]:R}, compiled {actual[i]:R} (tolerance {tolerance} of {scale:R})");
        }
    }

    /// <summary>
    /// The compiled module and an eager twin built from the same seed, over the given (batch, steps) shapes, in
    /// training and eval mode: bit for bit.
    /// </summary>
    static void AssertMatchesEager(Module eager, CompiledModule compiledModule, Module twin, Func<Tensor[], Tensor> compiled, Func<Tensor[], Tensor> eagerForward,
        Func<int, int, Generator, Tensor[]> inputs, Func<string, bool>? rounded = null)
    {
        Assert.True(compiledModule.IsCompiled);
        foreach (var training in new[] { true, false })
        {
            eager.Train(training);
            twin.Train(training);
            foreach (var (batch, steps) in new[] { (4, 6), (3, 5), (4, 6) })
            {
                var data = inputs(batch, steps, new Generator(batch * 10 + steps));
                long seed = batch * 100 + steps + (training ? 1000 : 0);
                var expected = Step(eager, eagerForward, data, seed);
                var actual = Step(twin, compiled, data, seed);
                string where = $"{eager.GetType().Name} {(training ? "train" : "eval")} N={batch} T={steps}";
                AssertSame(expected.Output, actual.Output, where + " output");
                Assert.Equal(expected.Grads.Keys, actual.Grads.Keys);
                foreach (var (name, grad) in expected.Grads) AssertSame(grad, actual.Grads[name], where + " grad of " + name, rounded?.Invoke(name) == true ? 1e-5 : 0);
                Assert.Equal(expected.InputGrads.Length, actual.InputGrads.Length);
                for (int i = 0; i < expected.InputGrads.Length; i++) AssertSame(expected.InputGrads[i], actual.InputGrads[i], where + " grad of input " + i);
            }
        }
        Assert.Equal(0, compiledModule.EagerCalls);
        // Two shapes in each mode: four plans.
        Assert.Equal(4, compiledModule.PlannedShapes);
    }

    [Fact]
    public void Lstm_classifier_matches_eager()
    {
        var compiled = new LstmClassifier(new Generator(11)).Compile();
        var eager = new LstmClassifier(new Generator(11));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x[0]), x => eager.Forward(x[0]),
            (n, t, g) => [Tensor.Randint(0, 20, new[] { n, t }, g)]);
    }

    [Fact]
    public void Gru_tagger_matches_eager()
    {
        var compiled = new GruTagger(new Generator(12)).Compile();
        var eager = new GruTagger(new Generator(12));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x[0]), x => eager.Forward(x[0]),
            (n, t, g) => [Tensor.Randn(new[] { t, n, 6 }, g)]);
    }

    [Fact]
    public void Bidirectional_lstm_from_initial_states_matches_eager()
    {
        var compiled = new BiLstmWithState(new Generator(13)).Compile();
        var eager = new BiLstmWithState(new Generator(13));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x[0], x[1], x[2]), x => eager.Forward(x[0], x[1], x[2]),
            (n, t, g) => [Tensor.Randn(new[] { t, n, 5 }, g), Tensor.Randn(new[] { 4, n, 9 }, g), Tensor.Randn(new[] { 4, n, 9 }, g)]);
    }

    [Fact]
    public void Relu_rnn_from_an_initial_state_matches_eager()
    {
        var compiled = new ReluRnn(new Generator(14)).Compile();
        var eager = new ReluRnn(new Generator(14));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x[0], x[1]), x => eager.Forward(x[0], x[1]),
            (n, t, g) => [Tensor.Randn(new[] { n, t, 6 }, g), Tensor.Randn(new[] { 2, n, 10 }, g)]);
    }

    [Fact]
    public void Projected_lstm_matches_eager()
    {
        var compiled = new ProjectedLstm(new Generator(15)).Compile();
        var eager = new ProjectedLstm(new Generator(15));
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x[0]), x => eager.Forward(x[0]),
            (n, t, g) => [Tensor.Randn(new[] { t, n, 8 }, g)]);
    }

    [Fact]
    public void Lstm_called_twice_matches_eager_to_rounding_in_its_parameters_gradients()
    {
        var compiled = new LstmCalledTwice(new Generator(17)).Compile();
        var eager = new LstmCalledTwice(new Generator(17));
        // Each call is a step whose backward runs its own tape, so a parameter's gradient is the second call's sum plus
        // the first's; eager autograd interleaves both calls' per-step terms in one sum. The rest is bit for bit.
        AssertMatchesEager(eager, compiled, compiled.Module, x => compiled.Forward(x[0]), x => eager.Forward(x[0]),
            (n, t, g) => [Tensor.Randn(new[] { t, n, 8 }, g)], rounded: name => name.StartsWith("lstm.", StringComparison.Ordinal));
    }

    [Fact]
    public void Parameter_gradients_reach_the_eager_models_own_parameters()
    {
        var model = new LstmClassifier(new Generator(16));
        var compiled = model.Compile();
        var tokens = Tensor.Randint(0, 20, new[] { 2, 4 }, new Generator(5));
        compiled.Forward(tokens).Sum().Backward();
        foreach (var (name, parameter) in model.NamedParameters())
            Assert.True(parameter.Grad is not null, name + " got no gradient");
        Assert.Equal(["tokens.weight", "lstm.weight_ih_l0", "lstm.weight_hh_l0", "lstm.bias_ih_l0", "lstm.bias_hh_l0",
            "lstm.weight_ih_l1", "lstm.weight_hh_l1", "lstm.bias_ih_l1", "lstm.bias_hh_l1", "head.weight", "head.bias"],
            model.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void A_state_of_the_wrong_shape_throws_the_eager_layers_error()
    {
        var compiled = new BiLstmWithState(new Generator(13)).Compile();
        var x = Tensor.Randn(new[] { 5, 3, 5 }, new Generator(1));
        var h0 = Tensor.Randn(new[] { 2, 3, 9 }, new Generator(2));
        var c0 = Tensor.Randn(new[] { 4, 3, 9 }, new Generator(3));
        var eager = Assert.Throws<ShapeException>(() => compiled.Module.Forward(x, h0, c0));
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(x, h0, c0));
        Assert.Equal("LSTM: Expected hidden[0] size [4, 3, 9], got [2, 3, 9] (input [5, 3, 5])", error.Message);
        Assert.Equal(eager.Message, error.Message);
    }

    [Fact]
    public void An_input_of_the_wrong_size_throws_the_eager_layers_error()
    {
        var compiled = new GruTagger(new Generator(12)).Compile();
        var x = Tensor.Randn(new[] { 5, 3, 4 }, new Generator(1));
        var eager = Assert.Throws<ShapeException>(() => compiled.Module.Forward(x));
        var error = Assert.Throws<ShapeException>(() => compiled.Forward(x));
        Assert.Equal(eager.Message, error.Message);
        Assert.StartsWith("GRU: input.size(-1) must be equal to input_size. Expected 6, got 4", error.Message);
    }
}
