using ShapeSafe;

namespace ShapeSafe.Tests.DTypes;

using Autograd = ShapeSafe.Autograd;

public class Float64Tests
{
    static Tensor D(params double[] v) => Tensor.FromArray(v);

    [Fact]
    public void FactoriesHoldDoublesExactly()
    {
        var t = Tensor.Full(new[] { 2 }, 0.1, DType.Float64);
        Assert.Equal(new[] { 0.1, 0.1 }, t.ToDoubleArray());
        Assert.Equal(DType.Float64, Tensor.Zeros(new[] { 3 }, DType.Float64).DType);
        Assert.Equal(1.0 / 3.0, Tensor.Scalar(1.0 / 3.0).ItemDouble());
        Assert.Equal(DType.Float64, Tensor.Scalar(2.5).DType);
        Assert.Equal("tensor([0.1000, 2.0000], dtype=torch.float64)", D(0.1, 2.0).ToString());
        Assert.Equal("tensor([1., 2.], dtype=torch.float64)", D(1, 2).ToString());
        // Values a float cannot hold still print (1e-50 would be 0 in float32).
        Assert.Equal("tensor([1.0000e-50, 1.0000e+00], dtype=torch.float64)", D(1e-50, 1).ToString());
    }

    [Fact]
    public void ArithmeticRunsInDouble()
    {
        var a = D(0.1, 1e-20, 3);
        var b = D(0.2, 1, 7);
        Assert.Equal(new[] { 0.1 + 0.2, 1e-20 + 1, 10 }, (a + b).ToDoubleArray());
        Assert.Equal(new[] { 0.1 * 0.2, 1e-20, 21 }, (a * b).ToDoubleArray());
        Assert.Equal(new[] { 0.1 / 0.2, 1e-20, 3.0 / 7.0 }, (a / b).ToDoubleArray());
        Assert.Equal(new[] { 0.1 - 0.2, 1e-20 - 1, -4 }, (a - b).ToDoubleArray());
        Assert.Equal(new[] { 0.1 + 0.1, 1e-20 + 0.1, 3.1 }, (a + 0.1).ToDoubleArray());
        Assert.Equal(new[] { Math.Exp(0.1), Math.Exp(1e-20), Math.Exp(3) }, a.Exp().ToDoubleArray());
        Assert.Equal(new[] { Math.Tanh(0.1), Math.Tanh(1e-20), Math.Tanh(3) }, a.Tanh().ToDoubleArray());
        Assert.Equal(new[] { Math.Sqrt(0.1), 1e-10, Math.Sqrt(3) }, a.Sqrt().ToDoubleArray());
        Assert.Equal(new[] { 0.1 * 0.1, 1e-20 * 1e-20, 9 }, a.Pow(2f).ToDoubleArray());
        Assert.Equal(new[] { -0.1, -1e-20, -3 }, (-a).ToDoubleArray());
    }

    [Fact]
    public void ReductionsRunInDouble()
    {
        var t = D(1e16, 1, -1e16, 1);
        Assert.Equal(DType.Float64, t.Sum().DType);
        var x = Tensor.FromArray(Enumerable.Range(0, 1000).Select(i => 0.1 * i).ToArray(), 10, 100);
        var expectedRows = Enumerable.Range(0, 10).Select(r => Enumerable.Range(0, 100).Sum(c => 0.1 * (r * 100 + c))).ToArray();
        var rows = x.Sum(1).ToDoubleArray();
        for (int r = 0; r < 10; r++) Assert.Equal(expectedRows[r], rows[r], 1e-9);
        Assert.Equal(Enumerable.Range(0, 1000).Sum(i => 0.1 * i) / 1000, x.Mean().ItemDouble(), 1e-12);
        Assert.Equal(DType.Float64, x.Mean(0).DType);
    }

    [Fact]
    public void MatmulInDoubleMatchesTheExactProduct()
    {
        var rng = new System.Random(5);
        int m = 37, k = 300, n = 530;
        var av = Enumerable.Range(0, m * k).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var bv = Enumerable.Range(0, k * n).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var a = Tensor.FromArray(av, m, k);
        var b = Tensor.FromArray(bv, k, n);
        var c = Tensor.Mm(a, b).ToDoubleArray();
        var ct = Tensor.Matmul(b.Transpose(0, 1), a.Transpose(0, 1)).ToDoubleArray(); // strided operands
        for (int i = 0; i < m; i += 7)
            for (int j = 0; j < n; j += 13)
            {
                double s = 0;
                for (int p = 0; p < k; p++) s += av[i * k + p] * bv[p * n + j];
                Assert.Equal(s, c[i * n + j], 1e-12);
                Assert.Equal(s, ct[j * m + i], 1e-12);
            }
        var batched = Tensor.Matmul(a.View(1, m, k).Expand(2, m, k), b);
        Assert.Equal(new[] { 2, m, n }, batched.Shape);
        Assert.Equal(c, batched.Select(0, 1).ToDoubleArray());
        Assert.Equal(DType.Float64, Tensor.Dot(D(1, 2), D(3, 4)).DType);
        Assert.Equal(11.0, Tensor.Dot(D(1, 2), D(3, 4)).ItemDouble());
    }

    [Fact]
    public void MatmulRefusesMixedDtypesAsPyTorch()
    {
        var ex = Assert.Throws<ArgumentException>(() => Tensor.Mm(Tensor.Zeros(2, 2), Tensor.Zeros(new[] { 2, 2 }, DType.Float64)));
        Assert.Contains("Mm", ex.Message);
        Assert.Contains("Float32", ex.Message);
        Assert.Contains("Float64", ex.Message);
    }

    [Fact]
    public void ToDTypeConvertsBetweenAllDtypes()
    {
        var d = D(1.5, -2.7, 3e9, double.NaN);
        Assert.Equal(new[] { 1.5f, -2.7f, 3e9f, float.NaN }, d.ToDType(DType.Float32).ToFloatArray());
        Assert.Equal(new long[] { 1, -2, 3000000000, long.MinValue }, d.ToDType(DType.Int64).ToInt64Array());
        Assert.Equal(new[] { true, true, true, true }, d.ToDType(DType.Bool).ToBoolArray());
        Assert.Equal(new[] { 1.5, -2.703125, 3003121664, double.NaN }, d.ToDType(DType.BFloat16).ToDoubleArray());
        // Int64 to Float64 is exact below 2^53, Float32 to Float64 is exact.
        Assert.Equal(new[] { 9007199254740991.0 }, Tensor.FromArray(new[] { (1L << 53) - 1 }).ToDType(DType.Float64).ToDoubleArray());
        Assert.Equal(new[] { (double)0.1f }, Tensor.FromArray(new[] { 0.1f }).ToDType(DType.Float64).ToDoubleArray());
        // A strided view converts in logical order.
        Assert.Equal(new[] { 1.0, 3.0, 2.0, 4.0 }, D(1, 2, 3, 4).View(2, 2).Transpose(0, 1).ToDType(DType.Float64).Reshape(-1).ToDoubleArray());
    }

    [Fact]
    public void ToDTypeIsDifferentiableBetweenFloatingDtypes()
    {
        var x = Tensor.FromArray(new[] { 1f, 2f }); x.RequiresGrad = true;
        var y = x.ToDType(DType.Float64);
        (y * y).Sum().Backward();
        Assert.Equal(DType.Float32, x.Grad!.DType);
        Assert.Equal(new[] { 2f, 4f }, x.Grad.ToFloatArray());
    }

    [Fact]
    public void BackwardGivesDoubleGradients()
    {
        var x = D(0.5, 2); x.RequiresGrad = true;
        (x.Exp() * x).Sum().Backward();
        Assert.Equal(DType.Float64, x.Grad!.DType);
        Assert.Equal(new[] { Math.Exp(0.5) * 1.5, Math.Exp(2) * 3 }, x.Grad.ToDoubleArray());
    }

    public static TheoryData<string> CoreOps => new()
    {
        "add", "sub", "mul", "div", "pow", "exp", "log", "sqrt", "rsqrt", "sin", "cos", "tanh", "sigmoid", "abs", "relu",
        "square", "neg", "sum", "sumdim", "mean", "matmul", "mm", "bmm", "mv", "dot", "where", "maskedfill", "maskedselect",
        "scalar", "broadcast", "softmaxlike", "view",
    };

    static Tensor Apply(string op, Tensor[] x) => op switch
    {
        "add" => x[0] + x[1],
        "sub" => x[0] - x[1],
        "mul" => x[0] * x[1],
        "div" => x[0] / x[1],
        "pow" => x[0].Abs().Add(0.5).Pow(x[1]),
        "exp" => x[0].Exp(),
        "log" => x[0].Abs().Add(0.1).Log(),
        "sqrt" => x[0].Abs().Add(0.1).Sqrt(),
        "rsqrt" => x[0].Abs().Add(0.1).Rsqrt(),
        "sin" => x[0].Sin(),
        "cos" => x[0].Cos(),
        "tanh" => x[0].Tanh(),
        "sigmoid" => x[0].Sigmoid(),
        "abs" => x[0].Abs(),
        "relu" => x[0].Relu(),
        "square" => x[0].Square(),
        "neg" => -x[0],
        "sum" => x[0].Sum(),
        "sumdim" => x[0].Sum(0),
        "mean" => x[0].Mean(1, keepDim: true),
        "matmul" => Tensor.Matmul(x[0], x[1].Transpose(0, 1)),
        "mm" => Tensor.Mm(x[0].Transpose(0, 1), x[1]),
        "bmm" => Tensor.Bmm(x[0].View(1, 2, 3), x[1].View(1, 3, 2)),
        "mv" => Tensor.Mv(x[0], x[1].Select(0, 0)),
        "dot" => Tensor.Dot(x[0].Select(0, 1), x[1].Select(0, 0)),
        "where" => Tensor.Where(x[0].Gt(0.0), x[0], x[1]),
        "maskedfill" => x[0].MaskedFill(x[1].Lt(0.0), 2.0) * x[1],
        "maskedselect" => x[0].MaskedSelect(x[1].Gt(0.0)),
        "scalar" => (2.5 - x[0]) * 0.1 / 3.0 + (1.0 / x[1]),
        "broadcast" => x[0] * x[1].Select(0, 1),
        "softmaxlike" => x[0].Exp() / x[0].Exp().Sum(1, keepDim: true),
        _ => x[0].Transpose(0, 1).Reshape(-1)[1..4] * 3.0,
    };

    [Theory]
    [MemberData(nameof(CoreOps))]
    public void GradCheckPassesForTheCoreOps(string op)
    {
        // Away from the kinks of abs/relu and the zeros of divisors.
        var a = Tensor.FromArray(new[] { 0.7, -1.3, 0.4, 2.1, -0.6, 1.1 }, 2, 3);
        var b = Tensor.FromArray(new[] { -0.9, 1.6, 0.8, 0.5, -1.2, 1.4 }, 2, 3);
        Assert.True(Autograd.GradCheck(x => Apply(op, x), new[] { a, b }));
    }

    [Fact]
    public void GradCheckCatchesAWrongGradient()
    {
        var a = D(0.5, 1.5);
        // Detaching half of the product gives half the true gradient.
        var ex = Assert.Throws<InvalidOperationException>(() => Autograd.GradCheck(x => x[0] * x[0].Detach(), new[] { a }));
        Assert.Contains("Jacobian mismatch", ex.Message);
        Assert.Contains("analytical 0.5", ex.Message);
        Assert.Contains("numerical 1", ex.Message);
        var notDouble = Assert.Throws<ArgumentException>(() => Autograd.GradCheck(x => x[0], new[] { Tensor.Zeros(2) }));
        Assert.Contains("Float64", notDouble.Message);
    }

    [Fact]
    public void An_op_without_a_double_kernel_names_the_dtype_it_was_given()
    {
        var x = Tensor.Ones(new[] { 2, 3 }).ToDType(DType.Float64);
        var error = Assert.Throws<ArgumentException>(() => x.LeakyRelu());
        Assert.Equal("LeakyRelu: not implemented for Float64 here (only Float32); convert with ToDType(DType.Float32) first (shape [2, 3])", error.Message);
        var integers = Assert.Throws<ArgumentException>(() => Tensor.Arange(3).Gelu());
        Assert.StartsWith("Gelu: not implemented for Int64 (PyTorch raises", integers.Message);
    }
}
