using System.Text;
using ShapeSafe.NN;
using ShapeSafe.Optim;
using G = ShapeSafe.Tests.NN.Modules.GeneratedModules;
using H = ShapeSafe.Tests.NN.Modules.TestModules;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>
/// <c>[Module]</c> classes registered by the generator behave exactly as the same modules registered by hand: the
/// seed's sections 5 and 10 (names, order, de-duplication of every iterator, printing, state dicts), and PyTorch's
/// <c>__setattr__</c> for members assigned later.
/// </summary>
public sealed partial class GeneratedRegistrationTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("generated-modules-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Every iterator's names (and shapes), in order, of a module.</summary>
    static string[] Inventory(Module m) =>
    [
        .. m.NamedModules().Select(x => "module " + x.Name),
        .. m.NamedModules(removeDuplicate: false).Select(x => "module* " + x.Name),
        .. m.NamedChildren().Select(x => "child " + x.Name),
        .. m.NamedParameters().Select(x => $"parameter {x.Name} {string.Join("x", x.Parameter.Shape)}"),
        .. m.NamedParameters(removeDuplicate: false).Select(x => "parameter* " + x.Name),
        .. m.NamedParameters(recurse: false).Select(x => "own parameter " + x.Name),
        .. m.NamedBuffers().Select(x => $"buffer {x.Name} {string.Join("x", x.Buffer.Shape)}"),
        .. m.StateDict().Keys.Select(k => "state " + k),
        "printed " + m,
    ];

    [Fact]
    public void The_seeds_modules_have_the_same_names_order_and_printing_as_when_registered_by_hand()
    {
        Assert.Equal(Inventory(new H.MyLinear(4, 3)), Inventory(new G.MyLinear(4, 3, new Generator(1))));
        Assert.Equal(Inventory(new H.Net()), Inventory(new G.Net(new Generator(1))));
        Assert.Equal(Inventory(new H.BigNet()), Inventory(new G.BigNet(new Generator(1))));
        Assert.Equal(Inventory(new H.Norm(3)), Inventory(new G.Norm(3)));
        Assert.Equal(Inventory(new H.Block()), Inventory(new G.Block()));
    }

    [Fact]
    public void An_array_of_modules_is_named_as_a_ModuleList_names_it()
    {
        var net = new G.DynamicNet(3, new Generator(1));

        Assert.Equal(new[]
        {
            "linears.0.weight", "linears.0.bias",
            "linears.1.weight", "linears.1.bias",
            "linears.2.weight", "linears.2.bias",
            "final.weight", "final.bias",
        }, net.NamedParameters().Select(p => p.Name));
        Assert.Equal(new[] { "", "linears", "linears.0", "linears.1", "linears.2", "activations", "activations.relu", "activations.lrelu", "final" },
            net.NamedModules().Select(m => m.Name));
        Assert.Equal(Inventory(new H.DynamicNet(3)), Inventory(net));
        Assert.StartsWith("DynamicNet(\n  (linears): ModuleList(\n    (0-2): 3 x MyLinear()\n  )\n  (activations): ModuleDict(", net.ToString());
        Assert.Same(net.Linears[2].Weight, net.GetParameter("linears.2.weight"));
    }

    [Fact]
    public void A_shared_module_is_listed_once_unless_duplicates_are_kept()
    {
        var shared = new G.MyLinear(2, 2, new Generator(1));
        var net = new SharedTwice(shared);

        Assert.Equal(new[] { "", "a" }, net.NamedModules().Select(m => m.Name));
        Assert.Equal(new[] { "", "a", "b" }, net.NamedModules(removeDuplicate: false).Select(m => m.Name));
        Assert.Equal(new[] { "a.weight", "a.bias" }, net.NamedParameters().Select(p => p.Name));
        Assert.Equal(new[] { "a.weight", "a.bias", "b.weight", "b.bias" }, net.StateDict().Keys);
    }

    [Fact]
    public void A_member_assigned_after_construction_is_seen_in_place_and_a_new_one_is_appended()
    {
        var block = new G.Block();
        var before = block.NamedParameters().Select(p => p.Name).ToList();
        var scale = new Parameter(Tensor.FromArray(new[] { 3f }));
        var fc = new H.Linear(3, 2, bias: false);
        var steps = Tensor.Scalar(7L);

        block.Replace(scale, fc, steps);

        Assert.Equal(new[] { "scale", "fc.weight", "norm.weight" }, block.NamedParameters().Select(p => p.Name));
        Assert.Equal(before.Where(n => n != "fc.bias"), block.NamedParameters().Select(p => p.Name));
        Assert.Same(scale, block.GetParameter("scale"));
        Assert.Same(fc, block.GetSubmodule("fc"));
        Assert.Equal(7L, block.StateDict()["steps"].ToInt64Array()[0]);

        var late = new LateHead();
        Assert.Equal(new[] { "body.weight", "body.bias" }, late.NamedParameters().Select(p => p.Name));
        Assert.Equal("LateHead(\n  (body): Linear(in_features=2, out_features=2, bias=True)\n)", late.ToString());
        late.Head = new H.Linear(2, 1);
        Assert.Equal(new[] { "body.weight", "body.bias", "head.weight", "head.bias" }, late.NamedParameters().Select(p => p.Name));
        late.Head = null;
        Assert.Equal(new[] { "body.weight", "body.bias" }, late.NamedParameters().Select(p => p.Name));
        Assert.Equal("LateHead(\n  (body): Linear(in_features=2, out_features=2, bias=True)\n  (head): None\n)", late.ToString());
    }

    [Fact]
    public void Replacing_an_element_of_a_module_array_renumbers_nothing_and_is_seen()
    {
        var net = new G.DynamicNet(2, new Generator(1));
        var list = net.GetSubmodule("linears");
        var replacement = new G.MyLinear(4, 4, new Generator(2));

        net.Linears[1] = replacement;

        Assert.Same(list, net.GetSubmodule("linears"));
        Assert.Same(replacement, net.GetSubmodule("linears.1"));
        Assert.Same(replacement.Weight, net.GetParameter("linears.1.weight"));
    }

    [Fact]
    public void Lists_of_modules_register_like_arrays_and_a_derived_module_adds_its_children_after_its_bases()
    {
        var m = new Derived();

        // PyTorch's order: the module's own parameters first, then each child's, children in registration order.
        Assert.Equal(new[] { "gain", "stem.weight", "stem.bias", "blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias" },
            m.NamedParameters().Select(p => p.Name));
        Assert.Equal(new[] { "", "stem", "blocks", "blocks.0", "blocks.1" }, m.NamedModules().Select(x => x.Name));
    }

    [Fact]
    public void Modes_gradients_and_Apply_reach_every_generated_child()
    {
        var net = new G.DynamicNet(2, new Generator(1));

        net.Eval();
        Assert.All(net.Modules(), m => Assert.False(m.Training));
        net.Train();
        Assert.All(net.Modules(), m => Assert.True(m.Training));

        var visited = new List<string>();
        net.Apply(m => visited.Add(m.GetType().Name));
        Assert.Equal(new[] { "MyLinear", "MyLinear", "ModuleList", "ReLU", "LeakyReLU", "ModuleDict", "MyLinear", "DynamicNet" }, visited);

        var x = Tensor.Randn(new[] { 2, 4 }, new Generator(3));
        var y = net.Linears.Aggregate(x, (h, l) => l.Forward(h)).Sum();
        y.Backward();
        Assert.All(net.Linears, l => Assert.NotNull(l.Weight.Grad));
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void An_optimizer_built_from_Parameters_trains_the_generated_members()
    {
        var model = new G.MyLinear(3, 1, new Generator(4));
        var optimizer = new Sgd(model.Parameters(), lr: 0.1);
        var before = model.Weight.ToFloatArray();

        model.Forward(Tensor.Ones(2, 3)).Sum().Backward();
        optimizer.Step();

        Assert.Equal(2, model.Parameters().Count());
        Assert.Equal(before.Select(w => w - 0.1f * 2f), model.Weight.ToFloatArray());
    }

    [Fact]
    public void State_dicts_round_trip_through_Save_and_Load()
    {
        var path = Path.Combine(_dir, "net.safetensors");
        var source = new G.DynamicNet(3, new Generator(5));
        source.Save(path);

        var target = new G.DynamicNet(3, new Generator(6));
        var (missing, unexpected) = target.Load(path);

        Assert.Empty(missing);
        Assert.Empty(unexpected);
        foreach (var (name, value) in source.StateDict())
            Assert.Equal(value.ToFloatArray(), target.StateDict()[name].ToFloatArray());
    }

    [Fact]
    public void A_safetensors_file_with_the_PyTorch_module_names_loads()
    {
        // What safetensors.torch.save_model writes for the seed's DynamicNet(1) (nn.ModuleList of MyLinear, then
        // final): F32 little-endian data in state-dict order, offsets relative to the end of the header.
        var tensors = new (string Name, int[] Shape, float[] Values)[]
        {
            ("linears.0.weight", [4, 4], Enumerable.Range(0, 16).Select(i => i / 8f).ToArray()),
            ("linears.0.bias", [4], [1f, 2f, 3f, 4f]),
            ("final.weight", [4, 1], [-1f, -2f, -3f, -4f]),
            ("final.bias", [1], [0.5f]),
        };
        var path = Path.Combine(_dir, "from-pytorch.safetensors");
        WriteSafetensors(path, tensors);

        var net = new G.DynamicNet(1, new Generator(7));
        net.Load(path);

        foreach (var (name, shape, values) in tensors)
        {
            var loaded = net.StateDict()[name];
            Assert.Equal(shape, loaded.Shape);
            Assert.Equal(values, loaded.ToFloatArray());
        }
    }

    [Fact]
    public void Plain_tensors_are_not_state_and_non_persistent_buffers_stay_out_of_the_state_dict()
    {
        var norm = new G.Norm(2);

        Assert.Equal(new[] { "running_mean", "num_batches_tracked", "scratch" }, norm.NamedBuffers().Select(b => b.Name));
        Assert.Equal(new[] { "weight", "running_mean", "num_batches_tracked" }, norm.StateDict().Keys);
        Assert.DoesNotContain(norm.Buffers(), b => ReferenceEquals(b, norm.Workspace));
    }

    static void WriteSafetensors(string path, (string Name, int[] Shape, float[] Values)[] tensors)
    {
        var header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        foreach (var (name, shape, values) in tensors)
        {
            long end = offset + 4L * values.Length;
            header.Append($",\"{name}\":{{\"dtype\":\"F32\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{offset},{end}]}}");
            offset = end;
        }
        header.Append('}');
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
        file.Write(headerBytes);
        foreach (var (_, _, values) in tensors)
            foreach (var v in values) file.Write(BitConverter.GetBytes(v));
    }

    /// <summary>One module under two names.</summary>
    [Module]
    sealed partial class SharedTwice(G.MyLinear shared) : Module
    {
        readonly G.MyLinear a = shared;
        readonly G.MyLinear b = shared;
    }

    /// <summary>A child that is null until assigned, as PyTorch's attribute assigned after __init__.</summary>
    [Module]
    sealed partial class LateHead : Module
    {
        readonly H.Linear body = new(2, 2);

        [StateName("head")]
        public H.Linear? Head { get; set; }
    }

    [Module]
    partial class Base : Module
    {
        readonly H.Linear stem = new(2, 2);
    }

    [Module]
    sealed partial class Derived : Base
    {
        readonly List<H.Linear> blocks = [new(2, 2), new(2, 2)];
        Parameter gain = new(Tensor.Ones(1));
    }
}
