using ShapeSafe;
using ShapeErrors;

// Each example was flagged at compile time; running it shows the same error at run time.
var examples = new (string Id, Func<Tensor> Run)[]
{
    ("SS0001", Examples.MergeHeads),
    ("SS0002", () => Examples.Scores(Tensor.Randn(2, 8, 16, 64), Tensor.Randn(2, 8, 16, 64))),
    ("SS0003", () => Examples.Join(Tensor.Randn(4, 10), Tensor.Randn(4, 12))),
    ("SS0004", () => Examples.Image(Tensor.Randn(4, 784))),
    ("SS0005", () => Examples.AddBias(Tensor.Randn(4, 10), Tensor.Randn(12))),
    ("SS0006", () => Examples.Swap(Tensor.Randn(2, 3, 4))),
    ("SS0008", () => Mlp.Broken(Tensor.Randn(4, 784))),
    ("SS0010", Examples.Pool),
};
foreach (var (id, run) in examples)
{
    try
    {
        var result = run();
        Console.WriteLine($"{id}: no error at run time, shape [{string.Join(", ", result.Shape)}]");
    }
    catch (ShapeException e)
    {
        Console.WriteLine($"{id}: {e.Message}");
    }
}
