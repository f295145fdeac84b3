using ShapeSafe;

var a = Tensor.Arange(5);
var b = a[2..];
Console.WriteLine($"a: {a}");
Console.WriteLine($"b: {b}");
Console.WriteLine($"share: {a.SharesStorage(b)}");
b[1] = 0f;
Console.WriteLine($"a: {a}");
Console.WriteLine($"b: {b}");
var m = Tensor.Arange(9).Reshape(3, 3);
var p = m.Permute(1, 0);
Console.WriteLine($"{m}\n({string.Join(", ", m.Strides)})\n{p}\n({string.Join(", ", p.Strides)})");
Console.WriteLine(m.View(-1));
try { p.View(-1); } catch (ShapeException e) { Console.WriteLine(e.Message); }
var c = p.Contiguous();
Console.WriteLine($"{c.View(-1)} {c.SharesStorage(p)}");
Console.WriteLine(string.Join(" | ", Tensor.Zeros(5, 10).Chunk(3, 1).Select(t => string.Join("x", t.Shape))));
Console.WriteLine(Tensor.FromArray(new long[] { 1, 2, 3 }).Repeat(2, 3));
Console.WriteLine(Tensor.Arange(1, 8).Unfold(0, 3, 1));
Console.WriteLine(Tensor.FromArray(new float[] { 0.5f, 1.25f, -3f }));
