namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// The engine's spatial, indexing, sorting and normalization ops through their contracts: the exact shapes they
/// give (read from SS1000) and the calls they refuse, with PyTorch's rules.
/// </summary>
public class EngineOpContractTests
{
    [Fact]
    public async Task Spatial_ops_give_exact_shapes()
    {
        var shown = await Inferred.In("""[Shape("B, 3, 32, 32")] Tensor img, [Shape("B, 16, 100")] Tensor seq""", """
            var c1 = new Conv1d(16, 32, 5, padding: 2).Forward(seq);
            var c1f = F.Conv1d(seq, Tensor.Randn(8, 16, 3), stride: 2);
            var up = new ConvTranspose2d(3, 6, 4, stride: 2, padding: 1).Forward(img);
            var upf = Tensor.ConvTranspose2d(img, Tensor.Randn(3, 5, 3, 3));
            var grouped = new ConvTranspose2d(4, 8, (3, 1), groups: 2).Forward(Tensor.Randn(2, 4, 5, 5));
            var ap = new AdaptiveAvgPool2d(1).Forward(img);
            var am = F.AdaptiveMaxPool2d(img, (7, null));
            var pd = F.Pad(img, new[] { 1, 2, 3, 4 });
            var crop = F.Pad(seq, new[] { -10, 0 });
            var ip = F.Interpolate(img, 2.0);
            var ipSize = F.Interpolate(Tensor.Randn(1, 3, 8, 8), scaleFactor: (1.5, 0.5));
            var us = new Upsample(size: (10, 12)).Forward(img);
            var ps = new PixelShuffle(2).Forward(Tensor.Randn(2, 12, 5, 5));
            var psf = F.PixelShuffle(img.Repeat(1, 3, 1, 1), 3);
            """);
        Assert.Equal(new[]
        {
            "c1 [B, 32, 100]", "c1f [B, 8, 49]", "up [B, 6, 64, 64]", "upf [B, 5, 34, 34]", "grouped [2, 8, 7, 5]",
            "ap [B, 3, 1, 1]", "am [B, 3, 7, 32]", "pd [B, 3, 39, 35]", "crop [B, 16, 90]", "ip [B, 3, 64, 64]",
            "ipSize [1, 3, 12, 4]", "us [B, 3, 10, 12]", "ps [2, 3, 10, 10]", "psf [B, 1, 96, 96]",
        }, shown);
    }

    [Fact]
    public async Task Indexing_sorting_and_reductions_give_exact_shapes()
    {
        var shown = await Inferred.In("""[Shape("B, T, 10")] Tensor logits, [Shape("B, T")] Tensor labels""", """
            var index = labels.Unsqueeze(-1);
            var g = logits.Gather(2, index);
            var s = logits.Scatter(2, index, 1f);
            var sa = logits.ScatterAdd(2, index, logits);
            var oh = F.OneHot(labels, 10);
            var (values, order) = logits.Sort(-1, descending: true);
            var top = logits.Topk(3).Indices;
            var cs = logits.Cumsum(1);
            var ag = logits.Argsort(0);
            var tl = Tensor.Ones(5, 5).Tril(-1);
            var tu = logits.Triu();
            var nm = logits.Norm(2, -1, keepDim: true);
            var vr = logits.Var(1);
            var sd = logits.Std();
            """);
        Assert.Equal(new[]
        {
            "index [B, T, 1]", "g [B, T, 1]", "s [B, T, 10]", "sa [B, T, 10]", "oh [B, T, 10]", "values [B, T, 10]", "order [B, T, 10]",
            "top [B, T, 3]", "cs [B, T, 10]", "ag [B, T, 10]", "tl [5, 5]", "tu [B, T, 10]", "nm [B, T, 1]", "vr [B, 10]", "sd []",
        }, shown);
    }

    [Fact]
    public async Task Norm_activation_and_dropout_layers_keep_the_shape()
    {
        var shown = await Inferred.In("""[Shape("B, 16, L")] Tensor seq, [Shape("B, 16, H, W")] Tensor map""", """
            var bn = new BatchNorm1d(16).Forward(seq);
            var gn = new GroupNorm(4, 16).Forward(map);
            var a = new SiLU().Forward(seq);
            var b = new Mish().Forward(seq);
            var c = new Softplus(2.0).Forward(seq);
            var d = new Hardswish().Forward(seq);
            var e = new Identity().Forward(seq);
            var f = new Dropout2d(0.2).Forward(map);
            var g = F.Silu(F.Mish(F.Softplus(F.Hardswish(seq))));
            var h = F.Dropout2d(map, 0.1);
            """);
        Assert.Equal(new[]
        {
            "bn [B, 16, L]", "gn [B, 16, H, W]", "a [B, 16, L]", "b [B, 16, L]", "c [B, 16, L]", "d [B, 16, L]", "e [B, 16, L]",
            "f [B, 16, H, W]", "g [B, 16, L]", "h [B, 16, H, W]",
        }, shown);
    }

    [Fact]
    public async Task Factories_in_place_ops_recurrent_and_transformer_layers_give_exact_shapes()
    {
        var shown = await Inferred.In("""[Shape("B, T, 32")] Tensor x, [Shape("B, 10")] Tensor probs""", """
            var perm = Tensor.Randperm(7);
            var picks = Tensor.Multinomial(probs, 3);
            var (pooled, where) = Tensor.MaxPool2dWithIndices(Tensor.Randn(2, 3, 8, 8), 2);
            var data = Tensor.FromArray(new float[6], new[] { 2, 3 });
            var one = Tensor.Scalar(2f);
            var counts = Tensor.Poisson(probs);
            var normed = F.BatchNorm(x.Transpose(1, 2), null, null);
            var same = x.MulInPlace(2f).AddInPlace(x, 0.5f);
            var (steps, last) = new RNN(32, 20, numLayers: 2, batchFirst: true).Forward(x);
            var encoded = new TransformerEncoderLayer(32, 4, batchFirst: true).Forward(x);
            var decoded = new Transformer(32, 4, batchFirst: true).Forward(x, Tensor.Randn(2, 5, 32));
            """);
        Assert.Equal(new[]
        {
            "perm [7]", "picks [B, 3]", "pooled [2, 3, 4, 4]", "where [2, 3, 4, 4]", "data [2, 3]", "one []", "counts [B, 10]",
            "normed [B, 32, T]", "same [B, T, 32]", "steps [B, T, 20]", "last [2, B, 20]", "encoded [B, T, 32]", "decoded [2, 5, 32]",
        }, shown);
    }

    [Fact]
    public Task Transformer_layers_check_the_model_width() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            readonly TransformerEncoderLayer _layer = new TransformerEncoderLayer(64, 8, batchFirst: true);

            void M([Shape("B, T, 32")] Tensor x)
            {
                var encoded = _layer.{|SS0008:Forward(x)|};
                var stack = new TransformerEncoder(_layer, 2).{|SS0008:Forward(x)|};
                var full = new Transformer(32, 4).{|SS0008:Forward(x, Tensor.Randn(5, 2, 16))|};
                var rnn = new RNN(16, 20).Forward({|SS0008:x|});
            }
        }
        """);

    [Fact]
    public Task Spatial_ops_refuse_what_PyTorch_refuses() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            void M([Shape("B, 3, 32, 32")] Tensor img, [Shape("B, 16, 100")] Tensor seq, [Shape("B, C, 100")] Tensor any)
            {
                var conv = new Conv1d(8, 32, 3).Forward({|SS0008:seq|});
                var symbolic = new Conv1d(8, 32, 3).Forward({|SS0008:any|});
                var kernel = F.{|SS0010:Conv1d(seq, Tensor.Randn(8, 16, 200))|};
                var weight = F.{|SS0008:Conv1d(seq, Tensor.Randn(8, 4, 3))|};
                var transposed = new ConvTranspose2d(4, 6, 3).Forward({|SS0008:img|});
                var outputPadding = Tensor.{|SS0010:ConvTranspose2d(img, Tensor.Randn(3, 5, 3, 3), outputPadding: (1, 1))|};
                var odd = F.{|SS0006:Pad(img, new[] { 1, 2, 3 })|};
                var reflect = F.{|SS0006:Pad(img, new[] { 40, 40 }, "reflect")|};
                var negative = F.{|SS0006:Pad(seq, new[] { -60, -60 })|};
                var shuffle = new PixelShuffle(2).Forward({|SS0006:img|});
                var pooled = new AdaptiveAvgPool2d(1).Forward({|SS0006:Tensor.Randn(2, 3)|});
                var resized = F.{|SS0006:Interpolate(seq, 2.0)|};
            }
        }
        """);

    [Fact]
    public Task Indexing_and_norm_layers_refuse_what_PyTorch_refuses() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            void M([Shape("B, T, 10")] Tensor logits, [Shape("B, T")] Tensor labels, [Shape("B, 16, L")] Tensor seq)
            {
                var gather = logits.{|SS0006:Gather(2, labels)|};
                var wide = Tensor.Randn(4, 10).{|SS0006:Gather(1, Tensor.Zeros(5, 1))|};
                var small = logits.{|SS0006:ScatterAdd(2, labels.Unsqueeze(-1), Tensor.Ones(1, 1, 1))|}; // only when B and T are 1
                var scatter = logits.{|SS0006:Scatter(3, labels.Unsqueeze(-1), 0f)|};
                var top = logits.{|SS0006:Topk(20)|};
                var sorted = logits.{|SS0006:Sort(3)|};
                var cumsum = labels.{|SS0006:Cumsum(2)|};
                var tril = Tensor.Ones(5).{|SS0006:Tril()|};
                var norm = new BatchNorm1d(32).Forward({|SS0008:seq|});
                var rank = new BatchNorm1d(16).Forward({|SS0008:Tensor.Randn(2, 16, 3, 3)|});
                var groups = new GroupNorm(4, 32).Forward({|SS0008:seq|});
                var hot = F.{|SS0006:OneHot(labels, 0)|};
            }
        }
        """);
}

/// <summary>The syntax users write to read sizes: deconstruction of a shape and indices from the end.</summary>
public class ShapeSyntaxTests
{
    [Fact]
    public async Task Deconstructed_sizes_and_indices_from_the_end_flow_into_views()
    {
        var shown = await Inferred.In("""[Shape("B, T, C")] Tensor x""", """
            var (b, t, c) = x.Shape;
            var heads = x.View(b, t, 4, c / 4).Transpose(1, 2);
            var last = x[^1];
            var step = x[.., ^1];
            var flat = x.Reshape(-1, x.Shape[^1]);
            var rows = x.Shape[^2];
            var merged = x.View(b * t, c);
            """);
        Assert.Equal(new[] { "heads [B, 4, T, C/4]", "last [T, C]", "step [B, C]", "flat [B*T, C]", "merged [B*T, C]" }, shown);
    }

    [Fact]
    public Task Deconstructing_into_the_wrong_count_is_SS0006() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, T, C")] Tensor x)
            {
                {|SS0006:var (b, t) = x.Shape|};
                {|SS0006:var (n, c, h, w) = x.Shape|};
                var (p, q, r) = x.Shape;
            }
        }
        """);
}
