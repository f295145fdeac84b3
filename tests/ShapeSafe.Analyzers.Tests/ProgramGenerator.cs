using System.Text;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// Writes random programs over the engine's API that compile (every call is well typed) but whose shapes are right
/// only most of the time: each argument is chosen to fit the shape the generator tracks for its tensor, and now and
/// then chosen at random (a dim out of range, a size that does not divide, a scalar where a matrix should be), so
/// the analyzer meets both clean code and every kind of refusal, on concrete, symbolic and 0-dim shapes.
/// </summary>
internal sealed class ProgramGenerator
{
    readonly Random _random;
    readonly StringBuilder _body = new();
    readonly List<(string Name, string[]? Shape)> _tensors = new();
    readonly List<string> _ints = new();
    int _next;
    int _indent;

    ProgramGenerator(int seed) => _random = new Random(seed);

    /// <summary>One compilation unit with <paramref name="methods"/> generated methods, all from <paramref name="seed"/>.</summary>
    public static string File(int seed, int methods)
    {
        var text = new StringBuilder("""
            using System;
            using System.Linq;
            using ShapeSafe;
            using ShapeSafe.NN;
            using TestLayers;

            namespace Generated
            {
                public class Programs
                {

            """);
        for (int m = 0; m < methods; m++)
            text.Append(new ProgramGenerator(seed * 7919 + m).Method($"M{m}"));
        return text.Append("    }\n}\n").ToString();
    }

    static readonly string[][] s_annotations =
    {
        Array.Empty<string>(), new[] { "B", "3" }, new[] { "B", "T", "D" }, new[] { "N", "3", "H", "W" }, new[] { "4" },
        new[] { "B", "D/H" }, new[] { "2*B + 1", "8" }, new[] { "(A+B)*(C+D)", "2" }, new[] { "B", "_" }, new[] { "0", "B" },
    };

    string Method(string name)
    {
        var parameters = new List<string>();
        int count = _random.Next(4);
        for (int i = 0; i < count; i++)
        {
            var shape = Pick(s_annotations);
            bool ellipsis = _random.Next(8) == 0;
            var text = (ellipsis ? shape.Length == 0 ? "..." : "..., " : "") + string.Join(", ", shape);
            parameters.Add($"[Shape(\"{text}\")] Tensor p{i}");
            // '_' and '...' hide sizes: the generator only tracks what is written.
            _tensors.Add(($"p{i}", ellipsis || shape.Contains("_") ? null : shape));
        }
        if (_random.Next(3) == 0)
        {
            parameters.Add("[Dim(\"K\")] int k");
            _ints.Add("k");
        }
        _indent = 3;
        if (_tensors.Count == 0 || _random.Next(3) == 0) Statement(depth: 0, kind: 0);
        int statements = 3 + _random.Next(10);
        for (int i = 0; i < statements; i++) Statement(depth: 0, kind: _random.Next(100));
        Line($"return {_tensors[^1].Name};");
        return $"        public Tensor {name}({string.Join(", ", parameters)})\n        {{\n{_body}        }}\n\n";
    }

    void Line(string text) => _body.Append(' ', 4 * _indent).Append(text).Append('\n');

    T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    bool Sometimes(int outOf) => _random.Next(outOf) == 0;

    (string Name, string[]? Shape) AnyTensor() => Pick(_tensors);

    string Fresh(string[]? shape, string expression)
    {
        string name = $"t{_next++}";
        Line($"var {name} = {expression};");
        _tensors.Add((name, shape));
        return name;
    }

    void Statement(int depth, int kind)
    {
        if (kind < 8) Factory();
        else if (kind < 18) Elementwise();
        else if (kind < 28) Reduction();
        else if (kind < 50) ViewOp();
        else if (kind < 58) Join();
        else if (kind < 66) Product();
        else if (kind < 72) SizeRead();
        else if (kind < 76) Layer();
        else if (kind < 80) Window();
        else if (kind < 84 && depth < 2) Branch(depth);
        else if (kind < 88 && depth < 2) Loop(depth);
        else if (kind < 90) Chain();
        else if (kind < 95) Indexer();
        else Elementwise();
    }

    // ---- dims and sizes ----

    /// <summary>A dim index for a tensor of <paramref name="rank"/>: usually valid, sometimes one past either end.</summary>
    int DimOf(int rank, bool insert = false)
    {
        int span = Math.Max(insert ? rank + 1 : rank, 1);
        if (Sometimes(10)) return Sometimes(2) ? span : -span - 1;
        int d = _random.Next(span);
        return Sometimes(3) ? d - span : d;
    }

    int Rank(string[]? shape) => shape?.Length ?? _random.Next(4);

    string SmallSize() => Sometimes(12) ? "0" : (1 + _random.Next(5)).ToString();

    string[] RandomShape(int maxRank = 4)
    {
        int rank = _random.Next(maxRank + 1);
        var shape = new string[rank];
        for (int i = 0; i < rank; i++) shape[i] = SmallSize();
        return shape;
    }

    static bool IsConstant(string dim) => dim.All(char.IsDigit);

    /// <summary>A size argument (an int expression) for <paramref name="dim"/> of a shape: a literal, an int local or a Size() read.</summary>
    string SizeArgument(string dim)
    {
        if (IsConstant(dim)) return dim;
        if (_ints.Count > 0 && Sometimes(3)) return Pick(_ints);
        return (1 + _random.Next(4)).ToString();
    }

    // ---- statements ----

    void Factory()
    {
        var shape = RandomShape();
        string dims = string.Join(", ", shape);
        switch (_random.Next(8))
        {
            case 0: Fresh(shape, $"Tensor.Zeros({dims})"); break;
            case 1: Fresh(shape, $"Tensor.Ones({dims})"); break;
            case 2: Fresh(shape, $"Tensor.Rand({dims})"); break;
            case 3: Fresh(shape, $"Tensor.Randn({dims})"); break;
            case 4: Fresh(Array.Empty<string>(), "Tensor.Scalar(2f)"); break;
            case 5:
            {
                var n = SmallSize();
                Fresh(new[] { n }, $"Tensor.Arange({n})");
                break;
            }
            case 6:
            {
                var n = SmallSize();
                Fresh(new[] { n, n }, $"Tensor.Eye({n})");
                break;
            }
            default: Fresh(shape, $"Tensor.Full(new int[] {{ {dims} }}, 0.5f)"); break;
        }
    }

    void Elementwise()
    {
        var (a, shape) = AnyTensor();
        switch (_random.Next(6))
        {
            case 0: Fresh(shape, $"{a}.{Pick(new[] { "Relu", "Sigmoid", "Tanh", "Exp", "Abs", "Neg", "Gelu", "Square" })}()"); break;
            case 1: Fresh(shape, $"{a} {Pick(new[] { "+", "-", "*", "/" })} 2f"); break;
            case 2: Fresh(shape, $"{a}.Clamp(0f, 1f)"); break;
            default:
            {
                var (b, other) = AnyTensor();
                // Broadcasting of unrelated shapes may be refused: that is a diagnostic, not a failure.
                var result = shape is not null && other is not null && shape.SequenceEqual(other) ? shape : null;
                Fresh(result, $"{a} {Pick(new[] { "+", "-", "*", "/" })} {b}");
                break;
            }
        }
    }

    void Reduction()
    {
        var (a, shape) = AnyTensor();
        int rank = Rank(shape);
        int d = DimOf(rank);
        bool keep = Sometimes(2);
        string[]? reduced = shape is null || d < -Math.Max(rank, 1) || d >= Math.Max(rank, 1) || rank == 0 ? null
            : keep ? shape.Select((s, i) => i == (d + rank) % rank ? "1" : s).ToArray()
            : shape.Where((_, i) => i != (d + rank) % rank).ToArray();
        switch (_random.Next(7))
        {
            case 0: Fresh(Array.Empty<string>(), $"{a}.Sum()"); break;
            case 1: Fresh(reduced, $"{a}.Sum({d}, {(keep ? "true" : "false")})"); break;
            case 2: Fresh(reduced, $"{a}.Mean({d}, {(keep ? "true" : "false")})"); break;
            case 3: Fresh(reduced, $"{a}.Max({d}, {(keep ? "true" : "false")}).Values"); break;
            case 4: Fresh(reduced, $"{a}.Argmax({d}, {(keep ? "true" : "false")})"); break;
            case 5: Fresh(shape, $"{a}.Softmax({d})"); break;
            default: Fresh(Array.Empty<string>(), $"{a}.Mean()"); break;
        }
    }

    void ViewOp()
    {
        var (a, shape) = AnyTensor();
        int rank = Rank(shape);
        switch (_random.Next(15))
        {
            case 0:
            {
                int d0 = DimOf(rank), d1 = DimOf(rank);
                Fresh(null, $"{a}.Transpose({d0}, {d1})");
                break;
            }
            case 1:
            {
                var perm = Enumerable.Range(0, rank).OrderBy(_ => _random.Next()).ToList();
                if (Sometimes(8) && perm.Count > 0) perm[0] = perm[^1];
                Fresh(null, $"{a}.Permute({string.Join(", ", perm)})");
                break;
            }
            case 2: Fresh(null, $"{a}.View(-1)"); break;
            case 3:
            {
                // A reshape that keeps the element count when the shape is known, or a guess.
                var sizes = shape is null || Sometimes(5)
                    ? RandomShape(3)
                    : shape.Reverse().Select(SizeArgument).ToArray();
                if (sizes.Length > 0 && Sometimes(2)) sizes[_random.Next(sizes.Length)] = "-1";
                Fresh(null, $"{a}.{(Sometimes(2) ? "View" : "Reshape")}({string.Join(", ", sizes)})");
                break;
            }
            case 4: Fresh(null, $"{a}.Unsqueeze({DimOf(rank, insert: true)})"); break;
            case 5: Fresh(null, Sometimes(2) ? $"{a}.Squeeze()" : $"{a}.Squeeze({DimOf(rank)})"); break;
            case 6: Fresh(null, Sometimes(3) ? $"{a}.Flatten()" : $"{a}.Flatten({DimOf(rank)}, {DimOf(rank)})"); break;
            case 7:
            {
                var sizes = shape is null ? RandomShape(3) : shape.Select(s => s == "1" ? SmallSize() : Sometimes(2) ? "-1" : SizeArgument(s)).ToArray();
                var expanded = sizes.ToList();
                if (Sometimes(3)) expanded.Insert(0, "2");
                Fresh(null, $"{a}.Expand({string.Join(", ", expanded)})");
                break;
            }
            case 8: Fresh(null, $"{a}.Narrow({DimOf(rank)}, {_random.Next(3)}, {_random.Next(3)})"); break;
            case 9: Fresh(null, $"{a}.Select({DimOf(rank)}, {_random.Next(-2, 4)})"); break;
            case 10: Fresh(null, $"{a}.Slice({DimOf(rank)}, {_random.Next(-3, 4)}, {_random.Next(-3, 9)}, {1 + _random.Next(3)})"); break;
            case 11: Fresh(null, $"{a}.Unfold({DimOf(rank)}, {_random.Next(4)}, {1 + _random.Next(2)})"); break;
            case 12: Fresh(shape, $"{a}.Contiguous()"); break;
            case 13: Fresh(null, $"{a}.Repeat({string.Join(", ", Enumerable.Range(0, Math.Max(rank, _random.Next(4))).Select(_ => _random.Next(3)))})"); break;
            default: Fresh(null, $"{a}.Split({1 + _random.Next(3)}, {DimOf(rank)})[0]"); break;
        }
    }

    void Join()
    {
        var (a, shape) = AnyTensor();
        var (b, _) = Sometimes(2) ? (a, shape) : AnyTensor();
        int rank = Rank(shape);
        switch (_random.Next(4))
        {
            case 0: Fresh(null, $"Tensor.Cat(new[] {{ {a}, {b} }}, {DimOf(rank)})"); break;
            case 1: Fresh(null, $"Tensor.Stack(new[] {{ {a}, {b} }}, {DimOf(rank, insert: true)})"); break;
            case 2: Fresh(null, $"{a}.Chunk({1 + _random.Next(3)}, {DimOf(rank)}).Last()"); break;
            default: Fresh(null, $"{a}.IndexSelect({DimOf(rank)}, Tensor.Arange({_random.Next(3)}))"); break;
        }
    }

    void Product()
    {
        var (a, _) = AnyTensor();
        var (b, _) = AnyTensor();
        switch (_random.Next(6))
        {
            case 0: Fresh(null, $"Tensor.Matmul({a}, {b})"); break;
            case 1: Fresh(null, $"{a}.Matmul({b})"); break;
            case 2: Fresh(null, $"Tensor.Mm({a}, {b})"); break;
            case 3: Fresh(null, $"Tensor.Bmm({a}, {b})"); break;
            case 4: Fresh(null, $"Tensor.{Pick(new[] { "Dot", "Mv" })}({a}, {b})"); break;
            default: Fresh(null, $"Tensor.Einsum(\"{Pick(new[] { "ij,jk->ik", "bij,bjk->bik", "i,i->", "ij->ji" })}\", {a}, {b})"); break;
        }
    }

    void SizeRead()
    {
        var (a, shape) = AnyTensor();
        string name = $"n{_next++}";
        // Size(0) of a 0-dim tensor is a deliberate refusal here.
        int d = shape is { Length: 0 } && Sometimes(2) ? _random.Next(-1, 1) : DimOf(Rank(shape));
        Line($"int {name} = {a}.{(Sometimes(5) ? "Stride" : "Size")}({d}){(Sometimes(4) ? " * 2 + 1" : "")};");
        _ints.Add(name);
    }

    void Layer()
    {
        var (a, _) = AnyTensor();
        switch (_random.Next(3))
        {
            case 0: Fresh(null, $"new Dense({1 + _random.Next(4)}, {1 + _random.Next(4)}).Forward({a})"); break;
            case 1: Fresh(null, $"new Act().Forward({a})"); break;
            default: Fresh(null, $"new Conv({1 + _random.Next(3)}, 4, {1 + _random.Next(3)}).Forward({a})"); break;
        }
    }

    void Window()
    {
        var (a, _) = AnyTensor();
        switch (_random.Next(3))
        {
            case 0: Fresh(null, $"Tensor.MaxPool2d({a}, {1 + _random.Next(3)})"); break;
            case 1: Fresh(null, $"Tensor.AvgPool2d({a}, {1 + _random.Next(3)}, {1 + _random.Next(2)})"); break;
            default: Fresh(null, $"Tensor.Conv2d({a}, Tensor.Ones({1 + _random.Next(3)}, {1 + _random.Next(3)}, {1 + _random.Next(3)}, {1 + _random.Next(3)}))"); break;
        }
    }

    void Indexer()
    {
        var (a, _) = AnyTensor();
        int i = _random.Next(-2, 4), j = _random.Next(0, 8);
        switch (_random.Next(4))
        {
            case 0: Fresh(null, $"{a}[{i}]"); break;
            case 1: Fresh(null, $"{a}[{Math.Abs(i)}..{j}]"); break;
            case 2: Fresh(null, $"{a}[.., {Math.Abs(i)}]"); break;
            default: Fresh(null, $"{a}[.., ^{1 + Math.Abs(i)}..]"); break;
        }
    }

    /// <summary>A long expression: sometimes longer than the analyzer follows, which it must give up on quietly.</summary>
    void Chain()
    {
        var (a, shape) = AnyTensor();
        int length = Sometimes(4) ? 520 + _random.Next(200) : 2 + _random.Next(40);
        Fresh(shape, string.Join(" + ", Enumerable.Repeat(a, length)));
    }

    void Branch(int depth)
    {
        var (a, shape) = AnyTensor();
        string name = $"b{_next++}";
        Line($"var {name} = {a};");
        _tensors.Add((name, shape));
        Line($"if ({a}.Rank {Pick(new[] { ">", "==", "<" })} {_random.Next(3)})");
        Block(() =>
        {
            Statement(depth + 1, _random.Next(80));
            Line($"{name} = {_tensors[^1].Name};");
        });
        _tensors[_tensors.FindIndex(t => t.Name == name)] = (name, null);
    }

    void Loop(int depth)
    {
        var (a, shape) = AnyTensor();
        string name = $"l{_next++}";
        Line($"var {name} = {a};");
        _tensors.Add((name, shape));
        if (Sometimes(2))
            Line($"for (int i{_next} = 0; i{_next} < {1 + _random.Next(4)}; i{_next}++)");
        else
            Line($"foreach (var part{_next} in {a}.Chunk({1 + _random.Next(3)}, 0))");
        Block(() =>
        {
            Statement(depth + 1, _random.Next(80));
            Line($"{name} = {name} + {_tensors[^1].Name};");
        });
        _tensors[_tensors.FindIndex(t => t.Name == name)] = (name, null);
    }

    /// <summary>A braced block; the locals declared inside go out of scope at its end.</summary>
    void Block(Action body)
    {
        int tensors = _tensors.Count, ints = _ints.Count;
        Line("{");
        _indent++;
        body();
        _indent--;
        Line("}");
        _tensors.RemoveRange(tensors, _tensors.Count - tensors);
        _ints.RemoveRange(ints, _ints.Count - ints);
    }
}
