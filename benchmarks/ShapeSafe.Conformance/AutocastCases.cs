using TorchSharp;
using ShapeSafe.NN;
using S = ShapeSafe;
using T = TorchSharp.torch;
using TF = TorchSharp.torch.nn.functional;

namespace ShapeSafe.Conformance;

/// <summary>
/// BFloat16 autocast against LibTorch. TorchSharp 0.107 binds no autocast, so LibTorch's side is autocast written out:
/// the casts ATen's CPU autocast would insert (docs/mixed-precision.md, "The lists"), as explicit <c>to(bfloat16)</c>
/// before an op on the lower-precision list and <c>to(float32)</c> before a loss on the float32 list; a weight used
/// twice is cast once, as the cast cache does. ShapeSafe's side runs the plain ops inside <c>Autograd.Autocast</c>.
/// Outputs' and gradients' dtypes must be equal; values are compared as usual. One BFloat16 rounding is a relative
/// error of up to 2⁻⁸, so the tolerance is 1e-2: a sum rounded on the other side of a BFloat16 tie passes, a missing or
/// extra rounding of a whole tensor (an error near 2⁻⁸ everywhere, and larger through a product) is caught by the
/// dtype checks and the values of the exactly cast cases.
/// </summary>
static class AutocastCases
{
    const double Tolerance = 1e-2;

    static T.Tensor Lower(T.Tensor t) => t.to_type(T.ScalarType.BFloat16);

    static T.Tensor Full(T.Tensor t) => t.to_type(T.ScalarType.Float32);

    static S.Tensor Autocast(Func<S.Tensor> body, bool cache = true)
    {
        using (S.Autograd.Autocast(S.DType.BFloat16, cacheEnabled: cache)) return body();
    }

    static S.Tensor Bf16(S.Tensor t) => t.ToDType(S.DType.BFloat16);

    /// <summary>An autocast case of a module: ours runs its forward under autocast, LibTorch's a written-out forward over its module's parameters.</summary>
    static Case Layer(string name, int[][] shapes, Module ours, Func<S.Tensor, S.Tensor> ourForward,
        T.nn.Module theirs, Func<T.Tensor, T.Tensor> theirForward) => new()
    {
        Name = name,
        Shapes = shapes,
        Tolerance = Tolerance,
        CheckDType = true,
        Parameters = () => (ours.Parameters().Cast<S.Tensor>().ToArray(), theirs.parameters().Cast<T.Tensor>().ToArray()),
        Ours = x => Autocast(() => ourForward(x[0])),
        Theirs = x => theirForward(x[0]),
    };

    public static IEnumerable<Case> All()
    {
        // ---- the lower-precision list: matrix products
        yield return new Case { Name = "Autocast Mm", Shapes = [[9, 17], [17, 6]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => S.Tensor.Mm(x[0], x[1])), Theirs = x => Lower(x[0]).mm(Lower(x[1])) };
        yield return new Case { Name = "Autocast Matmul [2, 5, 17] x [17, 6]", Shapes = [[2, 5, 17], [17, 6]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => x[0].Matmul(x[1])), Theirs = x => Lower(x[0]).matmul(Lower(x[1])) };
        yield return new Case { Name = "Autocast Matmul vector x matrix", Shapes = [[17], [17, 6]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => S.Tensor.Matmul(x[0], x[1])), Theirs = x => Lower(x[0]).matmul(Lower(x[1])) };
        yield return new Case { Name = "Autocast Bmm", Shapes = [[3, 5, 17], [3, 17, 4]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => S.Tensor.Bmm(x[0], x[1])), Theirs = x => Lower(x[0]).bmm(Lower(x[1])) };
        // A BFloat16 operand stays as it is; the Float32 one is cast.
        yield return new Case { Name = "Autocast Mm BFloat16 x Float32", Shapes = [[9, 17], [17, 6]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => S.Tensor.Mm(Bf16(x[0]), x[1])), Theirs = x => Lower(x[0]).mm(Lower(x[1])) };
        // Float64 is not eligible: both sides compute in Float64.
        yield return new Case { Name = "Autocast Mm Float64 stays Float64", Shapes = [[9, 17], [17, 6]], CheckDType = true, Ours = x => Autocast(() => S.Tensor.Mm(x[0].ToDType(S.DType.Float64), x[1].ToDType(S.DType.Float64))), Theirs = x => x[0].to_type(T.ScalarType.Float64).mm(x[1].to_type(T.ScalarType.Float64)) };

        // ---- linear
        yield return new Case { Name = "Autocast F.Linear 3-D input", Shapes = [[2, 5, 12], [7, 12], [7]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => F.Linear(x[0], x[1], x[2])), Theirs = x => TF.linear(Lower(x[0]), Lower(x[1]), Lower(x[2])) };
        var linear = new Linear(12, 7);
        var theirLinear = T.nn.Linear(12, 7);
        yield return Layer("Autocast Linear", [[6, 12]], linear, linear.Forward, theirLinear, x => TF.linear(Lower(x), Lower(theirLinear.weight!), Lower(theirLinear.bias!)));
        var linearNoBias = new Linear(12, 7, bias: false);
        var theirLinearNoBias = T.nn.Linear(12, 7, hasBias: false);
        yield return Layer("Autocast Linear no bias", [[6, 12]], linearNoBias, linearNoBias.Forward, theirLinearNoBias, x => TF.linear(Lower(x), Lower(theirLinearNoBias.weight!)));
        // A layer applied twice: with the cache its weight and bias are cast once, both uses' BFloat16 gradients add at
        // that one cast; without it each use casts (and the Float32 leaves add two Float32 gradients).
        var twice = new Linear(8, 8);
        var theirTwice = T.nn.Linear(8, 8);
        yield return Layer("Autocast Linear twice, cached cast", [[5, 8]], twice, x => twice.Forward(twice.Forward(x)), theirTwice, x =>
        {
            var (w, b) = (Lower(theirTwice.weight!), Lower(theirTwice.bias!));
            return TF.linear(TF.linear(Lower(x), w, b), w, b);
        });
        var uncached = new Linear(8, 8);
        var theirUncached = T.nn.Linear(8, 8);
        yield return new Case
        {
            Name = "Autocast Linear twice, cache disabled",
            Shapes = [[5, 8]],
            Tolerance = Tolerance,
            CheckDType = true,
            Parameters = () => (uncached.Parameters().Cast<S.Tensor>().ToArray(), theirUncached.parameters().Cast<T.Tensor>().ToArray()),
            Ours = x => Autocast(() => uncached.Forward(uncached.Forward(x[0])), cache: false),
            Theirs = x =>
            {
                var (w, b) = (theirUncached.weight!, theirUncached.bias!);
                return TF.linear(TF.linear(Lower(x[0]), Lower(w), Lower(b)), Lower(w), Lower(b));
            },
        };

        // ---- convolutions
        var conv2d = new Conv2d(3, 5, 3, stride: 2, padding: 1);
        var theirConv2d = T.nn.Conv2d(3, 5, 3, stride: 2, padding: 1);
        yield return Layer("Autocast Conv2d stride 2 padding 1", [[2, 3, 9, 8]], conv2d, conv2d.Forward, theirConv2d,
            x => TF.conv2d(Lower(x), Lower(theirConv2d.weight!), Lower(theirConv2d.bias!), strides: [2, 2], padding: [1, 1]));
        var conv1d = new Conv1d(4, 6, 3, padding: 1);
        var theirConv1d = T.nn.Conv1d(4, 6, 3, padding: 1);
        yield return Layer("Autocast Conv1d padding 1", [[2, 4, 11]], conv1d, conv1d.Forward, theirConv1d,
            x => TF.conv1d(Lower(x), Lower(theirConv1d.weight!), Lower(theirConv1d.bias!), padding: 1));
        var deconv = new ConvTranspose2d(3, 4, 3, stride: 2, padding: 1, outputPadding: 1);
        var theirDeconv = T.nn.ConvTranspose2d(3, 4, 3, stride: 2, padding: 1, output_padding: 1);
        yield return Layer("Autocast ConvTranspose2d stride 2", [[2, 3, 4, 5]], deconv, deconv.Forward, theirDeconv,
            x => TF.conv_transpose2d(Lower(x), Lower(theirDeconv.weight!), Lower(theirDeconv.bias!), strides: [2, 2], padding: [1, 1], output_padding: [1, 1]));

        // ---- the float32 list: losses of BFloat16 activations
        long[] classes = { 0, 3, 1, 2, 3 };
        var classTarget = S.Tensor.FromArray(classes, 5);
        var theirClassTarget = T.tensor(classes, new long[] { 5 });
        float[] probabilities = { 0.1f, 0.9f, 0.5f, 0.25f, 0.75f, 0f, 1f, 0.3f, 0.6f, 0.45f };
        var probabilityTarget = S.Tensor.FromArray(probabilities, 5, 2);
        var theirProbabilityTarget = T.tensor(probabilities, new long[] { 5, 2 });
        yield return new Case { Name = "Autocast CrossEntropy of BFloat16 logits", Shapes = [[5, 4]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => F.CrossEntropy(Bf16(x[0]), classTarget)), Theirs = x => TF.cross_entropy(Full(Lower(x[0])), theirClassTarget) };
        // LogSoftmax and Softmax are on neither CPU list: a BFloat16 input stays BFloat16 (computed in float32, rounded once).
        yield return new Case { Name = "Autocast NllLoss of BFloat16 log-probabilities", Shapes = [[5, 4]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => F.NllLoss(Bf16(F.LogSoftmax(x[0], 1)), classTarget)), Theirs = x => TF.nll_loss(Full(Lower(TF.log_softmax(x[0], 1))), theirClassTarget) };
        yield return new Case { Name = "Autocast LogSoftmax of BFloat16 logits", Shapes = [[6, 9]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => F.LogSoftmax(Bf16(x[0]), 1)), Theirs = x => TF.log_softmax(Lower(x[0]), 1) };
        // Both libraries compute in float32 and round once, but their float32 exp differs in the last bit, so an element
        // near a BFloat16 rounding boundary lands one BFloat16 step apart; the backward's (g - Σ g·y)·y cancels, which
        // makes that step 8.8e-2 relative on a small element of the gradient. Held to 1e-1; a real difference fails.
        yield return new Case { Name = "Autocast Softmax of BFloat16 logits, dim 0", Shapes = [[6, 9]], Tolerance = 1e-1, CheckDType = true, Ours = x => Autocast(() => F.Softmax(Bf16(x[0]), 0)), Theirs = x => TF.softmax(Lower(x[0]), 0) };
        yield return new Case { Name = "Autocast MseLoss of BFloat16 inputs", Shapes = [[5, 3], [5, 3]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => F.MseLoss(Bf16(x[0]), Bf16(x[1]))), Theirs = x => TF.mse_loss(Full(Lower(x[0])), Full(Lower(x[1]))) };
        yield return new Case { Name = "Autocast BinaryCrossEntropy of BFloat16 Sigmoid", Shapes = [[5, 2]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => F.BinaryCrossEntropy(Bf16(x[0]).Sigmoid(), probabilityTarget)), Theirs = x => TF.binary_cross_entropy(Full(Lower(x[0]).sigmoid()), theirProbabilityTarget) };
        yield return new Case { Name = "Autocast BCEWithLogits of BFloat16 logits", Shapes = [[5, 2]], Tolerance = Tolerance, CheckDType = true, Ours = x => Autocast(() => F.BinaryCrossEntropyWithLogits(Bf16(x[0]), probabilityTarget)), Theirs = x => TF.binary_cross_entropy_with_logits(Full(Lower(x[0])), theirProbabilityTarget) };

        // ---- a small CNN: conv, relu, pool, linear in BFloat16, cross entropy in Float32, gradients to Float32 parameters
        S.Tensor.ManualSeed(11);
        var cnn = new Sequential(new Conv2d(1, 4, 3, padding: 1), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 4 * 4, 10));
        var theirConv = T.nn.Conv2d(1, 4, 3, padding: 1);
        var theirFc = T.nn.Linear(4 * 4 * 4, 10);
        var theirCnn = T.nn.Sequential(("conv", theirConv), ("fc", theirFc));
        long[] labels = { 1, 2, 3, 4, 5, 6 };
        var cnnLabels = S.Tensor.FromArray(labels, 6);
        var theirCnnLabels = T.tensor(labels, new long[] { 6 });
        yield return new Case
        {
            Name = "Autocast CNN forward and backward",
            Shapes = [[6, 1, 8, 8]],
            Tolerance = Tolerance,
            CheckDType = true,
            Parameters = () => (cnn.Parameters().Cast<S.Tensor>().ToArray(), theirCnn.parameters().Cast<T.Tensor>().ToArray()),
            Ours = x => Autocast(() => F.CrossEntropy(cnn.Forward(x[0]), cnnLabels)),
            Theirs = x =>
            {
                var h = TF.conv2d(Lower(x[0]), Lower(theirConv.weight!), Lower(theirConv.bias!), padding: [1, 1]);
                h = TF.max_pool2d(TF.relu(h), [2, 2]).flatten(1);
                var logits = TF.linear(h, Lower(theirFc.weight!), Lower(theirFc.bias!));
                return TF.cross_entropy(Full(logits), theirCnnLabels);
            },
        };
    }
}
