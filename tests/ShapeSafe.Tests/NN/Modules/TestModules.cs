using System.Globalization;
using ShapeSafe.NN;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>
/// Small hand-written modules standing in for the real layers (which land later), named like PyTorch's so
/// printed trees read like the seed's. Each draws from its own generator, never the default one, so these tests
/// cannot disturb the seeded random tests running beside them.
/// </summary>
public static class TestModules
{
    static Generator NextGenerator(ref int counter) => new(Interlocked.Increment(ref counter));

    static int s_seed;

    /// <summary>The seed's MyLinear: weight [in, out] and bias [out], both standard normal.</summary>
    public sealed class MyLinear : Module, ITensorModule
    {
        public MyLinear(int inFeatures, int outFeatures, Generator? generator = null)
        {
            generator ??= NextGenerator(ref s_seed);
            Weight = RegisterParameter("weight", new Parameter(Tensor.Randn(new[] { inFeatures, outFeatures }, generator)));
            Bias = RegisterParameter("bias", new Parameter(Tensor.Randn(new[] { outFeatures }, generator)));
        }

        public Parameter Weight { get; }

        public Parameter Bias { get; }

        public Tensor Forward(Tensor input) => input.Matmul(Weight);
    }

    /// <summary>The seed's Net: two MyLinear children, l0 and l1.</summary>
    public sealed class Net : Module
    {
        public Net()
        {
            L0 = RegisterModule("l0", new MyLinear(4, 3));
            L1 = RegisterModule("l1", new MyLinear(3, 1));
        }

        public MyLinear L0 { get; }

        public MyLinear L1 { get; }
    }

    /// <summary>The seed's BigNet: l1, then a whole Net.</summary>
    public sealed class BigNet : Module
    {
        public BigNet()
        {
            L1 = RegisterModule("l1", new MyLinear(5, 4));
            Inner = RegisterModule("net", new Net());
        }

        public MyLinear L1 { get; }

        public Net Inner { get; }
    }

    /// <summary>The seed's DynamicNet: a ModuleList of MyLinear, a ModuleDict of activations, a final MyLinear.</summary>
    public sealed class DynamicNet : Module
    {
        public DynamicNet(int numLayers)
        {
            Linears = RegisterModule("linears", new ModuleList<MyLinear>(Enumerable.Range(0, numLayers).Select(_ => new MyLinear(4, 4))));
            Activations = RegisterModule("activations", new ModuleDict
            {
                ["relu"] = new ReLU(),
                ["lrelu"] = new LeakyReLU(),
            });
            Final = RegisterModule("final", new MyLinear(4, 1));
        }

        public ModuleList<MyLinear> Linears { get; }

        public ModuleDict Activations { get; }

        public MyLinear Final { get; }
    }

    /// <summary>PyTorch's Linear layout (weight [out, in]) and printed form.</summary>
    public sealed class Linear : Module, ITensorModule
    {
        readonly int _in, _out;

        public Linear(int inFeatures, int outFeatures, bool bias = true)
        {
            _in = inFeatures;
            _out = outFeatures;
            var generator = NextGenerator(ref s_seed);
            Weight = RegisterParameter("weight", new Parameter(Tensor.Randn(new[] { outFeatures, inFeatures }, generator)));
            Bias = RegisterParameter("bias", bias ? new Parameter(Tensor.Randn(new[] { outFeatures }, generator)) : null);
        }

        public Parameter Weight { get; }

        public Parameter? Bias { get; }

        public Tensor Forward(Tensor input) => input.Matmul(Weight.Transpose(0, 1));

        protected override string ExtraRepr() =>
            string.Create(CultureInfo.InvariantCulture, $"in_features={_in}, out_features={_out}, bias={(Bias is null ? "False" : "True")}");
    }

    /// <summary>max(x, 0), element by element (no autograd: these tests do not need it).</summary>
    public sealed class ReLU : Module, ITensorModule
    {
        public Tensor Forward(Tensor input) =>
            Tensor.FromArray(input.ToFloatArray().Select(v => Math.Max(v, 0f)).ToArray(), input.Shape.ToArray());
    }

    public sealed class LeakyReLU : Module
    {
        protected override string ExtraRepr() => "negative_slope=0.01";
    }

    /// <summary>BatchNorm's kinds of state: a parameter, persistent float and Int64 buffers, and a non-persistent buffer.</summary>
    public sealed class Norm : Module
    {
        public Norm(int features)
        {
            Weight = RegisterParameter("weight", new Parameter(Tensor.Ones(features)));
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros(features));
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Scalar(0L));
            Scratch = RegisterBuffer("scratch", Tensor.Zeros(features), persistent: false);
        }

        public Parameter Weight { get; }

        public Tensor RunningMean { get; }

        public Tensor NumBatchesTracked { get; }

        public Tensor Scratch { get; }
    }

    /// <summary>A module with its own parameter and buffer plus children: the state-dict order case.</summary>
    public sealed class Block : Module
    {
        public Block()
        {
            Scale = RegisterParameter("scale", new Parameter(Tensor.FromArray(new[] { 2f })));
            Fc = RegisterModule("fc", new Linear(3, 2));
            Norm = RegisterModule("norm", new Norm(2));
            Steps = RegisterBuffer("steps", Tensor.Scalar(5L));
        }

        public Parameter Scale { get; }

        public Linear Fc { get; }

        public Norm Norm { get; }

        public Tensor Steps { get; }
    }

    /// <summary>A module with no members, for registration and tree tests.</summary>
    public sealed class Empty : Module
    {
    }

    /// <summary>Every parameter value, by name, as arrays (for "unchanged" checks).</summary>
    public static Dictionary<string, float[]> Snapshot(Module module) =>
        module.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToFloatArray());

    public static void AssertUnchanged(Dictionary<string, float[]> before, Module module)
    {
        var after = Snapshot(module);
        Assert.Equal(before.Keys, after.Keys);
        foreach (var (key, values) in before)
            Assert.Equal(values, after[key]);
    }
}
