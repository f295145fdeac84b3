using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.Modules.TestModules;
// The stand-ins, not ShapeSafe.NN's real layers of the same names.
using LeakyReLU = ShapeSafe.Tests.NN.Modules.TestModules.LeakyReLU;
using Linear = ShapeSafe.Tests.NN.Modules.TestModules.Linear;
using ReLU = ShapeSafe.Tests.NN.Modules.TestModules.ReLU;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>PyTorch's printed module trees.</summary>
public class ModulePrintingTests
{
    [Fact]
    public void Sequential_prints_one_line_per_child()
    {
        var model = new Sequential(new Linear(10, 20), new ReLU());

        Assert.Equal("""
            Sequential(
              (0): Linear(in_features=10, out_features=20, bias=True)
              (1): ReLU()
            )
            """, model.ToString());
    }

    [Fact]
    public void Nested_containers_indent_by_two_spaces_per_level()
    {
        var model = new Sequential(
            new Linear(10, 20),
            new ReLU(),
            new Sequential(new Linear(20, 2, bias: false), new Sequential(new ReLU())));

        Assert.Equal("""
            Sequential(
              (0): Linear(in_features=10, out_features=20, bias=True)
              (1): ReLU()
              (2): Sequential(
                (0): Linear(in_features=20, out_features=2, bias=False)
                (1): Sequential(
                  (0): ReLU()
                )
              )
            )
            """, model.ToString());
    }

    [Fact]
    public void DynamicNet_prints_its_ModuleList_compressed_and_its_ModuleDict_by_key()
    {
        Assert.Equal("""
            DynamicNet(
              (linears): ModuleList(
                (0-2): 3 x MyLinear()
              )
              (activations): ModuleDict(
                (relu): ReLU()
                (lrelu): LeakyReLU(negative_slope=0.01)
              )
              (final): MyLinear()
            )
            """, new DynamicNet(3).ToString());
    }

    [Fact]
    public void ModuleList_compresses_only_consecutive_identical_entries()
    {
        var list = new ModuleList(new Module[] { new Linear(4, 4), new Linear(4, 4), new ReLU(), new Linear(4, 4), new Sequential(new ReLU()) });

        Assert.Equal("""
            ModuleList(
              (0-1): 2 x Linear(in_features=4, out_features=4, bias=True)
              (2): ReLU()
              (3): Linear(in_features=4, out_features=4, bias=True)
              (4): Sequential(
                (0): ReLU()
              )
            )
            """, list.ToString());
        Assert.Equal("ModuleList()", new ModuleList().ToString());
    }

    [Fact]
    public void Empty_containers_and_leaf_modules_print_empty_parentheses()
    {
        Assert.Equal("Sequential()", new Sequential().ToString());
        Assert.Equal("ModuleDict()", new ModuleDict().ToString());
        Assert.Equal("MyLinear()", new MyLinear(2, 2).ToString());
    }

    [Fact]
    public void A_multi_line_extra_repr_goes_on_its_own_lines_before_the_children()
    {
        var module = new Annotated();

        Assert.Equal("""
            Annotated(
              mode=fast
              size=3
              (inner): Linear(in_features=1, out_features=1, bias=True)
            )
            """, module.ToString());
        Assert.Equal("Annotated(mode=fast)", new Annotated(withChild: false, lines: 1).ToString());
    }

    [Fact]
    public void Parameter_prints_as_pytorch_does()
    {
        var p = new Parameter(Tensor.FromArray(new[] { 1f, 2f }));

        Assert.Equal("Parameter containing:\ntensor([1., 2.], requires_grad=True)", p.ToString());
        Assert.Equal("Parameter containing:\ntensor([1., 2.])", new Parameter(Tensor.FromArray(new[] { 1f, 2f }), requiresGrad: false).ToString());
    }

    sealed class Annotated : Module
    {
        readonly int _lines;

        public Annotated(bool withChild = true, int lines = 2)
        {
            _lines = lines;
            if (withChild) RegisterModule("inner", new Linear(1, 1));
        }

        protected override string ExtraRepr() => _lines == 1 ? "mode=fast" : "mode=fast\nsize=3";
    }
}
