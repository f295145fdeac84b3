using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.Modules.TestModules;
// The stand-ins, not ShapeSafe.NN's real layers of the same names.
using LeakyReLU = ShapeSafe.Tests.NN.Modules.TestModules.LeakyReLU;
using Linear = ShapeSafe.Tests.NN.Modules.TestModules.Linear;
using ReLU = ShapeSafe.Tests.NN.Modules.TestModules.ReLU;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>The seed's sections 5 and 10: names, order and de-duplication of the module iterators.</summary>
public class ModuleIteratorTests
{
    const string SharedSequential = """
        Sequential(
          (0): Linear(in_features=2, out_features=2, bias=True)
          (1): Linear(in_features=2, out_features=2, bias=True)
        )
        """;

    [Fact]
    public void A_module_listed_twice_is_visited_once_by_Modules()
    {
        var l = new Linear(2, 2);
        var net = new Sequential(l, l);

        var modules = net.Modules().ToList();

        Assert.Equal(2, modules.Count);
        Assert.Same(net, modules[0]);
        Assert.Same(l, modules[1]);
        Assert.Equal(SharedSequential, modules[0].ToString());
        Assert.Equal("Linear(in_features=2, out_features=2, bias=True)", modules[1].ToString());
    }

    [Fact]
    public void NamedModules_of_a_shared_module_gives_its_first_name_unless_duplicates_are_kept()
    {
        var l = new Linear(2, 2);
        var net = new Sequential(l, l);

        Assert.Equal(new[] { "", "0" }, net.NamedModules().Select(m => m.Name));
        Assert.Same(l, net.NamedModules().ElementAt(1).Module);
        Assert.Equal(new[] { "", "0", "1" }, net.NamedModules(removeDuplicate: false).Select(m => m.Name));
        Assert.Equal(new[] { "top", "top.0" }, net.NamedModules("top").Select(m => m.Name));
    }

    [Fact]
    public void Children_are_direct_and_listed_once()
    {
        var l = new Linear(2, 2);
        var net = new Sequential(l, l);

        Assert.Equal(new[] { ("0", (Module)l) }, net.NamedChildren());
        Assert.Equal(new Module[] { l }, net.Children());
    }

    [Fact]
    public void Net_named_children_are_l0_and_l1()
    {
        var net = new Net();

        var printed = net.NamedChildren().Select(c => $"('{c.Name}', {c.Module})");

        Assert.Equal(new[] { "('l0', MyLinear())", "('l1', MyLinear())" }, printed);
    }

    [Fact]
    public void BigNet_named_modules_match_the_seed()
    {
        var bigNet = new BigNet();

        var modules = bigNet.NamedModules().ToList();

        Assert.Equal(new[] { "", "l1", "net", "net.l0", "net.l1" }, modules.Select(m => m.Name));
        Assert.Equal("""
            BigNet(
              (l1): MyLinear()
              (net): Net(
                (l0): MyLinear()
                (l1): MyLinear()
              )
            )
            """, modules[0].Module.ToString());
        Assert.Equal("MyLinear()", modules[1].Module.ToString());
        Assert.Equal("Net(\n  (l0): MyLinear()\n  (l1): MyLinear()\n)", modules[2].Module.ToString());
        Assert.Same(bigNet.Inner.L1, modules[4].Module);
    }

    [Fact]
    public void MyLinear_named_parameters_are_weight_then_bias()
    {
        var m = new MyLinear(4, 3);

        var parameters = m.NamedParameters().ToList();

        Assert.Equal(new[] { "weight", "bias" }, parameters.Select(p => p.Name));
        Assert.Equal(new[] { 4, 3 }, parameters[0].Parameter.Shape);
        Assert.Equal(new[] { 3 }, parameters[1].Parameter.Shape);
        Assert.All(parameters, p => Assert.True(p.Parameter.RequiresGrad));
        Assert.Same(m.Weight, parameters[0].Parameter);
    }

    [Fact]
    public void DynamicNet_parameters_are_named_through_the_ModuleList()
    {
        var net = new DynamicNet(3);

        var names = net.NamedParameters().Select(p => p.Name);

        Assert.Equal(new[]
        {
            "linears.0.weight", "linears.0.bias",
            "linears.1.weight", "linears.1.bias",
            "linears.2.weight", "linears.2.bias",
            "final.weight", "final.bias",
        }, names);
        Assert.Equal(8, net.Parameters().Count());
        Assert.Equal(new[] { "", "linears", "linears.0", "linears.1", "linears.2", "activations", "activations.relu", "activations.lrelu", "final" },
            net.NamedModules().Select(m => m.Name));
    }

    [Fact]
    public void Parameters_of_a_shared_module_are_listed_once_unless_duplicates_are_kept()
    {
        var l = new Linear(2, 2);
        var net = new Sequential(l, l);

        Assert.Equal(new[] { "0.weight", "0.bias" }, net.NamedParameters().Select(p => p.Name));
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "1.bias" },
            net.NamedParameters(removeDuplicate: false).Select(p => p.Name));
        Assert.Equal(new Tensor[] { l.Weight, l.Bias!, l.Weight, l.Bias! },
            net.NamedParameters(removeDuplicate: false).Select(p => (Tensor)p.Parameter));
        Assert.Equal(2, net.Parameters().Count());
    }

    [Fact]
    public void A_parameter_registered_under_two_names_is_listed_under_the_first()
    {
        var tied = new Empty();
        var p = new Parameter(Tensor.Zeros(3));
        tied.RegisterParameter("encoder", p);
        tied.RegisterParameter("decoder", p);
        tied.RegisterParameter("other", new Parameter(Tensor.Zeros(1)));

        Assert.Equal(new[] { "encoder", "other" }, tied.NamedParameters().Select(x => x.Name));
        Assert.Equal(new[] { "encoder", "decoder", "other" }, tied.NamedParameters(removeDuplicate: false).Select(x => x.Name));
        Assert.Equal(new[] { "encoder", "decoder", "other" }, tied.StateDict().Keys);
    }

    [Fact]
    public void Recurse_false_lists_only_own_members_and_prefix_is_prepended()
    {
        var block = new Block();

        Assert.Equal(new[] { "scale" }, block.NamedParameters(recurse: false).Select(p => p.Name));
        Assert.Equal(new[] { "b.scale", "b.fc.weight", "b.fc.bias", "b.norm.weight" }, block.NamedParameters("b").Select(p => p.Name));
        Assert.Equal(new[] { "steps" }, block.NamedBuffers(recurse: false).Select(b => b.Name));
    }

    [Fact]
    public void Buffers_include_non_persistent_ones_in_registration_order()
    {
        var block = new Block();

        Assert.Equal(new[] { "steps", "norm.running_mean", "norm.num_batches_tracked", "norm.scratch" },
            block.NamedBuffers().Select(b => b.Name));
        Assert.Same(block.Norm.Scratch, block.Buffers().Last());
    }

    [Fact]
    public void Null_members_keep_their_place_but_are_skipped()
    {
        var m = new Empty();
        m.RegisterParameter("a", new Parameter(Tensor.Zeros(1)));
        m.RegisterParameter("b", null);
        m.RegisterModule<Module?>("child", null);
        m.RegisterBuffer("buf", null);

        Assert.Equal(new[] { "a" }, m.NamedParameters().Select(p => p.Name));
        Assert.Empty(m.Children());
        Assert.Empty(m.Buffers());
        Assert.Equal(new[] { "a" }, m.StateDict().Keys);
        Assert.Equal("Empty(\n  (child): None\n)", m.ToString());

        var replaced = m.RegisterParameter("b", new Parameter(Tensor.Zeros(2)));
        Assert.Equal(new[] { "a", "b" }, m.NamedParameters().Select(p => p.Name));
        Assert.Same(replaced, m.GetParameter("b"));
    }

    [Theory]
    [InlineData("", "name can't be empty string")]
    [InlineData("a.b", "name can't contain \".\"")]
    public void Bad_names_are_refused_for_every_kind(string name, string message)
    {
        var m = new Empty();

        Assert.Contains("parameter " + message, Assert.Throws<ArgumentException>(() => m.RegisterParameter(name, new Parameter(Tensor.Zeros(1)))).Message);
        Assert.Contains("buffer " + message, Assert.Throws<ArgumentException>(() => m.RegisterBuffer(name, Tensor.Zeros(1))).Message);
        Assert.Contains("module " + message, Assert.Throws<ArgumentException>(() => m.RegisterModule(name, new Empty())).Message);
    }

    [Fact]
    public void A_name_taken_by_another_kind_is_refused_and_the_same_kind_replaces_in_place()
    {
        var m = new Empty();
        m.RegisterParameter("w", new Parameter(Tensor.Zeros(1)));
        m.RegisterBuffer("b", Tensor.Zeros(1));
        m.RegisterModule("c", new Empty());
        m.RegisterParameter("z", new Parameter(Tensor.Zeros(1)));

        var e = Assert.Throws<ArgumentException>(() => m.RegisterBuffer("w", Tensor.Zeros(1)));
        Assert.Contains("attribute 'w' already exists (as a parameter)", e.Message);
        Assert.Contains("attribute 'b' already exists (as a buffer)", Assert.Throws<ArgumentException>(() => m.RegisterModule("b", new Empty())).Message);
        Assert.Contains("attribute 'c' already exists (as a child module)", Assert.Throws<ArgumentException>(() => m.RegisterParameter("c", null)).Message);

        var again = new Parameter(Tensor.Ones(1));
        m.RegisterParameter("w", again);
        Assert.Equal(new[] { "w", "z" }, m.NamedParameters().Select(p => p.Name));
        Assert.Same(again, m.Parameters().First());
    }

    [Fact]
    public void Dotted_paths_find_submodules_parameters_and_buffers()
    {
        var big = new BigNet();
        var block = new Block();

        Assert.Same(big, big.GetSubmodule(""));
        Assert.Same(big.Inner.L0, big.GetSubmodule("net.l0"));
        Assert.Same(big.Inner.L1.Bias, big.GetParameter("net.l1.bias"));
        Assert.Same(block.Norm.RunningMean, block.GetBuffer("norm.running_mean"));
        Assert.Contains("Net has no child module 'l2'", Assert.Throws<ArgumentException>(() => big.GetSubmodule("net.l2")).Message);
        Assert.Contains("MyLinear has no parameter 'gamma'", Assert.Throws<ArgumentException>(() => big.GetParameter("l1.gamma")).Message);
    }
}
