using ShapeSafe.NN;
using static ShapeSafe.Tests.NN.FiniteDifferences;

namespace ShapeSafe.Tests.NN.Losses;

/// <summary>nn.MSELoss, nn.BCELoss and nn.BCEWithLogitsLoss against double references and LibTorch.</summary>
public class MseAndBinaryLossTests
{
    [Fact]
    public void Print_like_pytorch()
    {
        Assert.Equal("MSELoss()", new MSELoss().ToString());
        Assert.Equal("BCELoss()", new BCELoss().ToString());
        Assert.Equal("BCEWithLogitsLoss()", new BCEWithLogitsLoss().ToString());
        Assert.Equal(new[] { "weight", "pos_weight" }, new BCEWithLogitsLoss(Tensor.Ones(3), posWeight: Tensor.Ones(3)).StateDict().Keys);
    }

    [Fact]
    public void A_0_dim_input_with_no_reduction_gives_a_0_dim_loss()
    {
        // torch.nn.functional.mse_loss(torch.tensor(3.), torch.tensor(1.), reduction='none') is tensor(4.), shape [].
        var mse = F.MseLoss(Tensor.Scalar(3f), Tensor.Scalar(1f), reduction: Reduction.None);
        Assert.Equal(System.Array.Empty<int>(), mse.Sizes);
        Assert.Equal(4f, mse.Item());
        // binary_cross_entropy(torch.tensor(0.25), torch.tensor(1.), reduction='none') is tensor(1.3863) = -log 0.25, shape [].
        var bce = F.BinaryCrossEntropy(Tensor.Scalar(0.25f), Tensor.Scalar(1f), reduction: Reduction.None);
        Assert.Equal(System.Array.Empty<int>(), bce.Sizes);
        Assert.Equal(-MathF.Log(0.25f), bce.Item(), 6);
        var logits = F.BinaryCrossEntropyWithLogits(Tensor.Scalar(0f), Tensor.Scalar(1f), reduction: Reduction.None);
        Assert.Equal(System.Array.Empty<int>(), logits.Sizes);
        Assert.Equal(MathF.Log(2f), logits.Item(), 6);
    }

    [Fact]
    public void Mse_every_reduction_matches_a_double_reference()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4, -5, 0.5f }, 2, 3);
        var y = Tensor.FromArray(new float[] { 0, 2, 5, 3.5f, 1, 0 }, 2, 3);
        var squares = new[] { 1.0, 0, 4, 0.25, 36, 0.25 };

        Assert.Equal(squares.Select(v => (float)v).ToArray(), new MSELoss(Reduction.None).Forward(x, y).ToFloatArray());
        Assert.Equal(new[] { 2, 3 }, new MSELoss(Reduction.None).Forward(x, y).Shape);
        Assert.Equal(squares.Sum(), new MSELoss(Reduction.Sum).Forward(x, y).Item(), 5);
        Assert.Equal(squares.Average(), new MSELoss().Forward(x, y).Item(), 5);
    }

    [Fact]
    public void Mse_gradients_flow_to_input_and_target()
    {
        var x = Tensor.FromArray(new float[] { 1, 2, 3, 4 });
        x.RequiresGrad = true;
        var y = Tensor.FromArray(new float[] { 0, 2, 5, 3 });
        y.RequiresGrad = true;

        var loss = new MSELoss().Forward(x, y);
        loss.Backward();

        Assert.Equal("MseLossBackward", loss.GradFn);
        Assert.Equal(new float[] { 0.5f, 0, -1, 0.5f }, x.Grad!.ToFloatArray());
        Assert.Equal(new float[] { -0.5f, 0, 1, -0.5f }, y.Grad!.ToFloatArray());
        Check(a => F.MseLoss(a[0], a[1], Reduction.None), new[] { Leaf(1, -1, 1, 3, 2), Leaf(2, -1, 1, 3, 2) });
        Check(a => F.MseLoss(a[0], a[1], Reduction.Sum), new[] { Leaf(1, -1, 1, 3, 2), Leaf(2, -1, 1, 3, 2) });
    }

    [Fact]
    public void Mse_shape_mismatch_broadcasts_as_PyTorch_does()
    {
        // [64, 1] against [64]: PyTorch warns and broadcasts to [64, 64] (the classic regression-head mistake).
        var loss = new MSELoss(Reduction.None).Forward(Tensor.Zeros(64, 1), Tensor.Ones(64));

        Assert.Equal(new[] { 64, 64 }, loss.Shape);
        Assert.Throws<ArgumentException>(() => F.MseLoss(Tensor.Zeros(2), Tensor.Zeros(new[] { 2 }, DType.Int64)));
    }

    [Fact]
    public void Bce_clamps_logs_at_minus_100_as_libtorch()
    {
        var p = Tensor.FromArray(new[] { 0f, 0.1f, 0.5f, 0.9f, 1f, 0.3f });
        var y = Tensor.FromArray(new[] { 0f, 1f, 0.5f, 1f, 0f, 0f });

        var loss = new BCELoss(reduction: Reduction.None).Forward(p, y);

        Close(new[] { 0f, 2.3025851f, 0.6931472f, 0.105360545f, 100f, 0.35667497f }, loss.ToFloatArray(), 1e-6);
        Assert.Equal(loss.ToFloatArray().Average(), new BCELoss().Forward(p, y).Item(), 5);
        Assert.Contains("between 0 and 1", Assert.Throws<ArgumentException>(() => F.BinaryCrossEntropy(Tensor.FromArray(new[] { 1.5f }), Tensor.Ones(1))).Message);
    }

    [Fact]
    public void Bce_gradients_match_finite_differences()
    {
        var y = Tensor.FromArray(new[] { 0f, 1f, 0.3f, 1f, 0f, 0.5f });
        var w = Tensor.FromArray(new[] { 0.5f, 2f, 1f, 1f, 3f, 1f });
        Check(a => F.BinaryCrossEntropy(a[0], y), new[] { Leaf(1, 0.1f, 0.9f, 6) });
        Check(a => F.BinaryCrossEntropy(a[0], y, w, Reduction.None), new[] { Leaf(2, 0.1f, 0.9f, 6) });
        Check(a => F.BinaryCrossEntropy(Tensor.FromArray(new[] { 0.2f, 0.7f, 0.5f, 0.9f, 0.4f, 0.6f }), a[0], reduction: Reduction.Sum), new[] { Leaf(3, 0, 1, 6) });
    }

    [Fact]
    public void Bce_with_logits_is_stable_and_matches_libtorch_with_pos_weight()
    {
        var x = Tensor.FromArray(new[] { -20f, -1f, 0f, 2f, 30f, 0.5f });
        x.RequiresGrad = true;
        var y = Tensor.FromArray(new[] { 0f, 1f, 0.5f, 1f, 0f, 0f });

        var loss = new BCEWithLogitsLoss(reduction: Reduction.None, posWeight: Tensor.FromArray(new[] { 3f })).Forward(x, y);
        loss.Backward(Tensor.Ones(6));

        Assert.Equal("BinaryCrossEntropyWithLogitsBackward", loss.GradFn);
        Close(new[] { 0f, 3.9397852f, 1.3862944f, 0.38078403f, 30f, 0.974077f }, loss.ToFloatArray(), 1e-6);
        Close(new[] { 2.0611537E-09f, -2.1931758f, -0.5f, -0.3576088f, 1f, 0.62245935f }, x.Grad!.ToFloatArray(), 1e-6);
    }

    [Fact]
    public void Bce_with_logits_matches_the_plain_formula_in_double_and_survives_extreme_logits()
    {
        var values = new[] { -1e4f, -30f, -1f, 0f, 2f, 30f, 1e4f };
        var targets = new[] { 1f, 0.2f, 1f, 0f, 1f, 1f, 0f };

        var loss = F.BinaryCrossEntropyWithLogits(Tensor.FromArray(values), Tensor.FromArray(targets), reduction: Reduction.None).ToFloatArray();

        for (int i = 0; i < values.Length; i++)
        {
            double v = values[i], t = targets[i];
            double expected = Math.Max(v, 0) - v * t + Math.Log(1 + Math.Exp(-Math.Abs(v)));
            Assert.Equal(expected, loss[i], 4);
        }
    }

    [Fact]
    public void Bce_with_logits_gradients_match_finite_differences()
    {
        var y = Tensor.FromArray(new[] { 0f, 1f, 0.3f, 1f, 0f, 0.5f }, 2, 3);
        var w = Tensor.FromArray(new[] { 0.5f, 2f, 1f }, 3);
        var pw = Tensor.FromArray(new[] { 2f, 0.5f, 1f });
        Check(a => F.BinaryCrossEntropyWithLogits(a[0], a[1], w, posWeight: pw), new[] { Leaf(1, -3, 3, 2, 3), Leaf(2, 0, 1, 2, 3) });
        Check(a => F.BinaryCrossEntropyWithLogits(a[0], y, reduction: Reduction.None), new[] { Leaf(3, -3, 3, 2, 3) });
    }

    [Fact]
    public void Binary_losses_refuse_mismatched_shapes()
    {
        Assert.Contains("BCELoss: Expected target size [3, 1]", Assert.Throws<ShapeException>(() => new BCELoss().Forward(Tensor.Zeros(3, 1), Tensor.Zeros(3))).Message);
        Assert.Contains("BCEWithLogitsLoss", Assert.Throws<ShapeException>(() => new BCEWithLogitsLoss().Forward(Tensor.Zeros(3), Tensor.Zeros(4))).Message);
        Assert.Contains("pos_weight", Assert.Throws<ShapeException>(() => F.BinaryCrossEntropyWithLogits(Tensor.Zeros(2, 3), Tensor.Zeros(2, 3), posWeight: Tensor.Ones(4))).Message);
    }
}
