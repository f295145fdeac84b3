using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>
/// The seed's modules of <see cref="TestModules"/> written as <c>[Module]</c> classes: no registration call, only
/// members. Each takes the generator its values come from, so a twin built with the same seed holds the same values
/// as the hand-registered module.
/// </summary>
public static partial class GeneratedModules
{
    /// <summary>The seed's MyLinear: weight [in, out] and bias [out], both standard normal, as fields.</summary>
    [Module]
    public sealed partial class MyLinear : Module, ITensorModule
    {
        readonly Parameter weight;
        readonly Parameter bias;

        public MyLinear(int inFeatures, int outFeatures, Generator generator)
        {
            weight = new Parameter(Tensor.Randn(new[] { inFeatures, outFeatures }, generator));
            bias = new Parameter(Tensor.Randn(new[] { outFeatures }, generator));
        }

        public Parameter Weight => weight;

        public Tensor Forward(Tensor input) => input.Matmul(weight);
    }

    /// <summary>The seed's Net, with underscore fields: <c>_l0</c> registers as <c>l0</c>.</summary>
    [Module]
    public sealed partial class Net : Module
    {
        readonly MyLinear _l0;
        readonly MyLinear _l1;

        public Net(Generator generator)
        {
            _l0 = new MyLinear(4, 3, generator);
            _l1 = new MyLinear(3, 1, generator);
        }

        public MyLinear L1 => _l1;
    }

    /// <summary>The seed's BigNet, one member set by an initializer and one by the constructor, named by attribute.</summary>
    [Module]
    public sealed partial class BigNet : Module
    {
        readonly MyLinear l1 = new(5, 4, new Generator(100));

        public BigNet(Generator generator) => Inner = new Net(generator);

        [StateName("net")]
        public Net Inner { get; }
    }

    /// <summary>The seed's DynamicNet with an array where PyTorch has a ModuleList: the names are the same.</summary>
    [Module]
    public sealed partial class DynamicNet : Module
    {
        readonly MyLinear[] linears;
        readonly ModuleDict activations = new() { ["relu"] = new ReLU(), ["lrelu"] = new LeakyReLU() };
        readonly MyLinear final;

        public DynamicNet(int numLayers, Generator generator)
        {
            linears = Enumerable.Range(0, numLayers).Select(_ => new MyLinear(4, 4, generator)).ToArray();
            final = new MyLinear(4, 1, generator);
        }

        public MyLinear[] Linears => linears;
    }

    /// <summary>BatchNorm's kinds of state as members: a parameter, persistent buffers and a non-persistent one.</summary>
    [Module]
    public sealed partial class Norm : Module
    {
        public Norm(int features)
        {
            Weight = new Parameter(Tensor.Ones(features));
            RunningMean = Tensor.Zeros(features);
            NumBatchesTracked = Tensor.Scalar(0L);
            Scratch = Tensor.Zeros(features);
        }

        [StateName("weight")]
        public Parameter Weight { get; }

        [Buffer, StateName("running_mean")]
        public Tensor RunningMean { get; }

        [Buffer, StateName("num_batches_tracked")]
        public Tensor NumBatchesTracked { get; }

        [Buffer(Persistent = false), StateName("scratch")]
        public Tensor Scratch { get; }

        /// <summary>A plain tensor member: not state, as in PyTorch.</summary>
        public Tensor Workspace { get; } = Tensor.Zeros(3);
    }

    /// <summary>Own parameter and buffer plus children: the state-dict order case.</summary>
    [Module]
    public sealed partial class Block : Module
    {
        Parameter scale = new(Tensor.FromArray(new[] { 2f }));
        TestModules.Linear fc = new(3, 2);
        Norm norm = new(2);
        [Buffer] Tensor steps = Tensor.Scalar(5L);

        /// <summary>Replaces the members, as assigning the attributes again does in PyTorch.</summary>
        public void Replace(Parameter newScale, TestModules.Linear newFc, Tensor newSteps) => (scale, fc, steps) = (newScale, newFc, newSteps);
    }
}
