using ShapeSafe.Data;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Layers;

/// <summary>
/// The seed's section 5 ("用模块训练神经网络"): SimpleNet (Linear 10→5, ReLU, Linear 5→1), MSELoss and SGD over a
/// DataLoader of a TensorDataset with 2000 samples of 10 features, batches of 64, shuffled.
/// </summary>
public class SimpleNetSeedTests
{
    sealed class SimpleNet : Module, ITensorModule
    {
        public SimpleNet(int numFeatures, Generator generator)
        {
            Linear1 = RegisterModule("linear1", new Linear(numFeatures, 5, generator: generator));
            Relu = RegisterModule("relu", new ReLU());
            Linear2 = RegisterModule("linear2", new Linear(5, 1, generator: generator));
        }

        public Linear Linear1 { get; }

        public ReLU Relu { get; }

        public Linear Linear2 { get; }

        public Tensor Forward(Tensor x) => Linear2.Forward(Relu.Forward(Linear1.Forward(x)));
    }

    // The seed draws y = torch.randn(2000, 1): noise a model cannot learn, so its loss barely moves. Here y
    // depends on x (plus a little noise), so the decrease the seed describes is large enough to assert.
    static (Tensor X, Tensor Y) Data()
    {
        var g = new Generator(0);
        var x = Tensor.Randn(new[] { 2000, 10 }, g);
        var noise = Tensor.Randn(new[] { 2000, 1 }, g);
        var xs = x.ToFloatArray();
        var ns = noise.ToFloatArray();
        var y = Enumerable.Range(0, 2000).Select(i => 2 * xs[i * 10] - xs[i * 10 + 1] + 0.5f * Math.Max(xs[i * 10 + 2], 0) + 0.1f * ns[i]).ToArray();
        return (x, Tensor.FromArray(y, 2000, 1));
    }

    [Fact]
    public void Prints_the_seeds_model()
    {
        var model = new SimpleNet(10, new Generator(0));

        Assert.Equal(
            "SimpleNet(\n" +
            "  (linear1): Linear(in_features=10, out_features=5, bias=True)\n" +
            "  (relu): ReLU()\n" +
            "  (linear2): Linear(in_features=5, out_features=1, bias=True)\n" +
            ")", model.ToString());
        Assert.Equal(new[] { "linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias" }, model.StateDict().Keys);
        Assert.Equal("MSELoss()", new MSELoss().ToString());
    }

    [Fact]
    public void Training_with_sgd_lowers_the_loss_epoch_after_epoch()
    {
        var (x, y) = Data();
        var loader = new DataLoader(new TensorDataset(x, y), batchSize: 64, shuffle: true, generator: new Generator(1));
        var model = new SimpleNet(10, new Generator(2));
        var criterion = new MSELoss();
        var optimizer = new Sgd(model.Parameters(), lr: 0.01);

        var epochLosses = new List<double>();
        for (int epoch = 0; epoch < 20; epoch++)
        {
            double sum = 0;
            int batches = 0;
            foreach (var batch in loader)
            {
                optimizer.ZeroGrad();
                var output = model.Forward(batch[0]);
                var loss = criterion.Forward(output, batch[1]);
                loss.Backward();
                optimizer.Step();
                sum += loss.Item();
                batches++;
            }
            Assert.Equal(32, batches);
            epochLosses.Add(sum / batches);
        }

        Assert.True(epochLosses[^1] < 0.5 * epochLosses[0], string.Join(", ", epochLosses));
        Assert.True(epochLosses[4] < epochLosses[0], string.Join(", ", epochLosses));
    }

    [Fact]
    public void Manual_sgd_update_under_no_grad_matches_the_optimizer()
    {
        var (x, y) = Data();
        var batch = x.Narrow(0, 0, 64);
        var target = y.Narrow(0, 0, 64);
        var manual = new SimpleNet(10, new Generator(3));
        var viaOptimizer = new SimpleNet(10, new Generator(3));

        new MSELoss().Forward(manual.Forward(batch), target).Backward();
        using (global::ShapeSafe.Autograd.NoGrad())
        {
            foreach (var p in manual.Parameters())
                if (p.Grad is not null) p.SubInPlace(p.Grad, 0.01f);
        }
        var sgd = new Sgd(viaOptimizer.Parameters(), lr: 0.01);
        new MSELoss().Forward(viaOptimizer.Forward(batch), target).Backward();
        sgd.Step();

        foreach (var ((name, a), (_, b)) in manual.NamedParameters().Zip(viaOptimizer.NamedParameters()))
            Assert.True(a.ToFloatArray().SequenceEqual(b.ToFloatArray()), name);
    }

    [Fact]
    public void Gradients_reach_the_first_layer_through_relu()
    {
        // Needs ReLU's backward (the autograd branch): until then the graph stops at the activation.
        var (x, y) = Data();
        var model = new SimpleNet(10, new Generator(4));

        new MSELoss().Forward(model.Forward(x.Narrow(0, 0, 64)), y.Narrow(0, 0, 64)).Backward();

        Assert.NotNull(model.Linear2.Weight.Grad);
        Assert.NotNull(model.Linear1.Weight.Grad);
        Assert.NotNull(model.Linear1.Bias!.Grad);
    }

    [Fact]
    public void Activation_gradients_match_finite_differences()
    {
        // Needs the element-wise and softmax backward of the autograd branch.
        var values = new[] { -2f, -0.7f, -0.2f, 0.3f, 0.9f, 1.6f };
        Tensor Input() { var t = Tensor.FromArray(values, 2, 3); t.RequiresGrad = true; return t; }

        Check(t => new ReLU().Forward(t[0]), new[] { Input() });
        Check(t => new Sigmoid().Forward(t[0]), new[] { Input() });
        Check(t => new Tanh().Forward(t[0]), new[] { Input() });
        Check(t => new LeakyReLU(0.1).Forward(t[0]), new[] { Input() });
        Check(t => new GELU().Forward(t[0]), new[] { Input() });
        Check(t => new Softmax(1).Forward(t[0]), new[] { Input() });
        Check(t => new LogSoftmax(0).Forward(t[0]), new[] { Input() });
    }
}
