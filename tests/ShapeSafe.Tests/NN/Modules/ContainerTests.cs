using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.Modules.TestModules;
// The stand-ins, not ShapeSafe.NN's real layers of the same names.
using LeakyReLU = ShapeSafe.Tests.NN.Modules.TestModules.LeakyReLU;
using Linear = ShapeSafe.Tests.NN.Modules.TestModules.Linear;
using ReLU = ShapeSafe.Tests.NN.Modules.TestModules.ReLU;

namespace ShapeSafe.Tests.NN.Modules;

/// <summary>Sequential, ModuleList and ModuleDict: naming, indexing, editing and chaining.</summary>
public class ContainerTests
{
    [Fact]
    public void Sequential_forward_feeds_each_output_to_the_next_module()
    {
        var first = new Linear(2, 2);
        var second = new Linear(2, 1);
        using (ShapeSafe.Autograd.NoGrad())
        {
            first.Weight.CopyFrom(Tensor.FromArray(new float[,] { { 1, 0 }, { 0, -1 } }));
            second.Weight.CopyFrom(Tensor.FromArray(new float[,] { { 1, 1 } }));
        }
        var model = new Sequential(first, new ReLU(), second);

        var output = model.Forward(Tensor.FromArray(new[] { 3f, 5f }, 1, 2));

        Assert.Equal(new[] { 1, 1 }, output.Shape);
        Assert.Equal(3f, output.Item());   // [3, -5] -> relu -> [3, 0] -> 3
    }

    [Fact]
    public void Sequential_forward_refuses_a_module_without_a_tensor_forward()
    {
        var model = new Sequential(new ReLU(), new LeakyReLU());

        var e = Assert.Throws<InvalidOperationException>(() => model.Forward(Tensor.Zeros(2)));

        Assert.Contains("module (1) LeakyReLU has no Forward(Tensor)", e.Message);
    }

    [Fact]
    public void Sequential_indexes_from_either_end_and_appends_in_place()
    {
        var a = new ReLU();
        var b = new Linear(1, 1);
        var model = new Sequential(a);

        Assert.Same(model, model.Append(b));
        Assert.Equal(2, model.Count);
        Assert.Same(a, model[0]);
        Assert.Same(b, model[-1]);
        Assert.Equal(new[] { "0", "1" }, model.NamedChildren().Select(c => c.Name));
        Assert.Throws<ArgumentOutOfRangeException>(() => model[2]);
        Assert.Throws<ArgumentOutOfRangeException>(() => model[-3]);
        Assert.Equal(new Module[] { a, b }, model);
    }

    [Fact]
    public void Sequential_slices_share_modules_and_keep_names()
    {
        var layers = new Module[] { new Linear(1, 1), new ReLU(), new Linear(1, 1) };
        var model = new Sequential(layers);

        var tail = model[1..];

        Assert.Equal(new[] { "1", "2" }, tail.NamedChildren().Select(c => c.Name));
        Assert.Same(layers[2], tail[1]);
        Assert.Equal(new[] { "2.weight", "2.bias" }, tail.NamedParameters().Select(p => p.Name));
    }

    [Fact]
    public void Sequential_insert_and_remove_renumber_like_pytorch()
    {
        var a = new ReLU();
        var b = new Empty();
        var c = new LeakyReLU();
        var model = new Sequential(a, c);

        model.Insert(1, b);
        Assert.Equal(new Module[] { a, b, c }, model);
        Assert.Equal(new[] { "0", "1", "2" }, model.NamedChildren().Select(x => x.Name));

        model.RemoveAt(0);
        Assert.Equal(new Module[] { b, c }, model);
        Assert.Equal(new[] { "0", "1" }, model.NamedChildren().Select(x => x.Name));

        model[0] = a;
        Assert.Equal(new Module[] { a, c }, model);
    }

    [Fact]
    public void Named_Sequential_uses_the_given_names()
    {
        var model = new Sequential(new[]
        {
            KeyValuePair.Create("fc", (Module)new Linear(2, 3)),
            KeyValuePair.Create("act", (Module)new ReLU()),
        });

        Assert.Equal(new[] { "fc.weight", "fc.bias" }, model.NamedParameters().Select(p => p.Name));
        Assert.Equal("Sequential(\n  (fc): Linear(in_features=2, out_features=3, bias=True)\n  (act): ReLU()\n)", model.ToString());
    }

    [Fact]
    public void ModuleList_names_children_by_position()
    {
        var list = new ModuleList<MyLinear> { new MyLinear(1, 2), new MyLinear(2, 3) };
        list.Add(new MyLinear(3, 4));

        Assert.Equal(3, list.Count);
        Assert.Equal(new[] { 2, 3 }, list[1].Weight.Shape);
        Assert.Equal(new[] { 3, 4 }, list[-1].Weight.Shape);
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "2.weight", "2.bias" }, list.NamedParameters().Select(p => p.Name));
        Assert.Equal(new[] { 2, 3, 4 }, list.Select(l => l.Bias.Size(0)));
    }

    [Fact]
    public void ModuleList_insert_remove_and_replace_keep_names_contiguous()
    {
        var a = new ReLU();
        var b = new Empty();
        var c = new LeakyReLU();
        var list = new ModuleList(new Module[] { a, c });

        list.Insert(1, b);
        Assert.Equal(new Module[] { a, b, c }, list);
        list.RemoveAt(-1);
        Assert.Equal(new Module[] { a, b }, list);
        list[1] = c;
        Assert.Equal(new[] { ("0", (Module)a), ("1", (Module)c) }, list.NamedChildren());
        list.Extend(new Module[] { b });
        Assert.Equal(new[] { "0", "1", "2" }, list.NamedChildren().Select(x => x.Name));
    }

    [Fact]
    public void ModuleDict_keeps_insertion_order_and_replaces_in_place()
    {
        var relu = new ReLU();
        var dict = new ModuleDict(new[] { KeyValuePair.Create("relu", (Module)relu), KeyValuePair.Create("fc", (Module)new Linear(1, 1)) })
        {
            { "lrelu", new LeakyReLU() },
        };

        Assert.Equal(new[] { "relu", "fc", "lrelu" }, dict.Keys);
        Assert.Same(relu, dict["relu"]);
        Assert.True(dict.ContainsKey("fc"));
        Assert.Equal(new[] { "fc.weight", "fc.bias" }, dict.NamedParameters().Select(p => p.Name));

        dict["relu"] = new Empty();
        Assert.Equal(new[] { "relu", "fc", "lrelu" }, dict.Keys);
        Assert.IsType<Empty>(dict["relu"]);

        Assert.Throws<ArgumentException>(() => dict.Add("fc", new ReLU()));
        Assert.Throws<KeyNotFoundException>(() => dict["missing"]);
        Assert.Contains("can't contain \".\"", Assert.Throws<ArgumentException>(() => dict["a.b"] = new ReLU()).Message);

        Assert.True(dict.Remove("fc"));
        Assert.Equal(new[] { "relu", "lrelu" }, dict.Keys);
        Assert.Empty(dict.Parameters());
    }
}
