using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using ShapeSafe.Conformance.Models;
using TorchSharp;
using S = ShapeSafe;
using T = TorchSharp.torch;

namespace ShapeSafe.Conformance;

/// <summary>
/// Whole models (ResNet-18, UNet) against the same architectures built of LibTorch's modules: LibTorch's state
/// dict (with batch-norm weights and running statistics drawn away from their initial 1 and 0) is loaded into
/// ours by name, both run forward and backward on the same input and cotangent, and the output, the input's
/// gradient, every parameter's gradient and, in training mode, every updated running statistic are compared.
/// </summary>
static class ModelCases
{
    // Float sums of thousands of products (3×3×512 convolutions, batch statistics) in another order than
    // LibTorch's: the issue's bound, 1e-4 relative to the tensor's scale.
    const double Tolerance = 1e-4;

    public static IEnumerable<Case> All()
    {
        foreach (var train in new[] { true, false })
        {
            string mode = train ? "train" : "eval";
            yield return Model($"resnet18 {mode} [2, 3, 64, 64]", ResNet18, [2, 3, 64, 64], train);
            // ReLU kinks: in training mode, of the 1,998,848 ReLU inputs of the 64×64 UNet a few lie within rounding
            // (~1e-6 of the scale) of zero, and one on the other side of it in LibTorch switches that element's
            // gradient on or off. With the first input two do (in up1 and in up4's last ReLU, the "ReLU inputs"
            // cases below show them), so up4.conv.double_conv.4.bias's gradient differs by one element's
            // contribution, 2e-2 of its scale; with the second, one in up2 does, spread over a channel by the batch
            // norms' backward. Outputs and running statistics stay near 1e-6; the gradients are held to 5e-2 here
            // and to 1e-4 at 63×63 and in eval mode, where they agree to 1.1e-5 and 2.8e-6. UNetFloat64Cases referees
            // this in double: both libraries agree to 3e-14 there, and each one's float32 gradients are 7e-3 to 4e-2
            // from the Float64 ones at 64×64 in training, each time with one kink crossed on that side.
            double kinks = train ? 5e-2 : Tolerance;
            yield return Model($"unet {mode} [1, 3, 64, 64]", () => UNet(false), [1, 3, 64, 64], train, tolerance: kinks);
            if (train) yield return Model($"unet {mode} [1, 3, 64, 64] input 2", () => UNet(false), [1, 3, 64, 64], train, tolerance: kinks, inputSeed: 8);
            yield return Model($"unet {mode} [1, 3, 63, 63] (padded up steps)", () => UNet(false), [1, 3, 63, 63], train);
            yield return Model($"unet bilinear {mode} [1, 3, 63, 63]", () => UNet(true), [1, 3, 63, 63], train);
        }
        foreach (var train in new[] { true, false })
            yield return Stages($"resnet18 stages {(train ? "train" : "eval")} [2, 3, 64, 64]", ResNet18, ["conv1", "bn1", "maxpool", "layer1", "layer2", "layer3", "layer4"], [2, 3, 64, 64], train);
        yield return Kinks("unet train [1, 3, 64, 64] ReLU inputs", [1, 3, 64, 64], 5);
        yield return Kinks("unet train [1, 3, 64, 64] input 2 ReLU inputs", [1, 3, 64, 64], 8);
        yield return Model("resnet18 train [1, 3, 224, 224]", ResNet18, [1, 3, 224, 224], true);
        yield return Model("resnet18 eval [1, 3, 224, 224]", ResNet18, [1, 3, 224, 224], false);
        yield return Checkpoint("resnet18 safetensors from LibTorch's state dict", ResNet18, [2, 3, 64, 64], 11_689_512);
        yield return Checkpoint("unet safetensors from LibTorch's state dict", () => UNet(false), [1, 3, 63, 63], null);
        yield return Checkpoint("unet bilinear safetensors from LibTorch's state dict", () => UNet(true), [1, 3, 63, 63], null);
    }

    sealed record Pair(S.NN.Module Ours, Func<S.Tensor, S.Tensor> OurForward, T.nn.Module<T.Tensor, T.Tensor> Theirs);

    static Pair ResNet18()
    {
        T.manual_seed(11);
        var ours = Models.ResNet.ResNet18();
        return new Pair(ours, ours.Forward, new TorchResNet18());
    }

    static Pair UNet(bool bilinear)
    {
        T.manual_seed(12);
        var ours = new UNet(3, 2, bilinear);
        return new Pair(ours, ours.Forward, new TorchUNet(3, 2, bilinear));
    }

    static Case Model(string name, Func<Pair> build, int[] shape, bool train, double tolerance = Tolerance, int inputSeed = 5) => new()
    {
        Name = name,
        Tolerance = tolerance,
        Body = () =>
        {
            var (ours, ourForward, theirs) = build();
            var notes = new List<string>();
            CompareKeys(ours, theirs, notes);
            SpreadNorms(theirs);
            ours.LoadStateDict(ToOurs(theirs.state_dict()));
            ours.Train(train);
            theirs.train(train);

            var data = Draw(new System.Random(inputSeed), shape.Aggregate(1, (a, b) => a * b));
            var x = S.Tensor.FromArray((float[])data.Clone(), shape);
            x.RequiresGrad = true;
            var tx = T.tensor(data, shape.Select(d => (long)d).ToArray()).requires_grad_(true);
            var y = ourForward(x);
            var ty = theirs.forward(tx);
            if (!y.Shape.Select(d => (long)d).SequenceEqual(ty.shape))
                return new Result(double.NaN, double.NaN, $"MISMATCH shapes [{string.Join(", ", y.Shape)}] vs [{string.Join(", ", ty.shape)}]");
            var (output, outputElement) = Measure(y.ToFloatArray(), ty.detach().data<float>().ToArray());

            var v = Draw(new System.Random(6), (int)y.NumEl);
            (y * S.Tensor.FromArray((float[])v.Clone(), y.Shape.ToArray())).Sum().Backward();
            (ty * T.tensor(v, ty.shape)).sum().backward();

            var (gradient, gradientElement) = Measure(x.Grad!.ToFloatArray(), tx.grad!.data<float>().ToArray());
            string worstName = "input", worstAt = "";
            var ourParameters = ours.NamedParameters().ToDictionary(p => p.Name, p => p.Parameter);
            int compared = 0;
            foreach (var (pname, p) in theirs.named_parameters())
            {
                var mine = ourParameters[pname].Grad;
                if (mine is null || p.grad is null)
                {
                    notes.Add($"MISMATCH {pname}: gradient only on one side");
                    continue;
                }
                var (e, element) = Measure(mine.ToFloatArray(), p.grad.data<float>().ToArray());
                compared++;
                gradientElement = Math.Max(gradientElement, element);
                if (e > gradient) (gradient, worstName, worstAt) = (e, pname, WorstAt(mine.ToFloatArray(), p.grad.data<float>().ToArray()));
            }
            notes.Add($"{compared} parameter gradients, worst {worstName}{worstAt}; element-wise: output {outputElement:0.0e+0}, gradients {gradientElement:0.0e+0}");

            if (train)
            {
                // Running statistics after one step (momentum 0.1, unbiased variance), and the step counters.
                var ourBuffers = ours.NamedBuffers().ToDictionary(b => b.Name, b => b.Buffer);
                double stats = 0;
                string worstStat = "";
                int counters = 0;
                foreach (var (bname, b) in theirs.named_buffers())
                {
                    if (bname.EndsWith("num_batches_tracked", StringComparison.Ordinal))
                    {
                        if (ourBuffers[bname].ToInt64Array()[0] != b.data<long>()[0]) notes.Add($"MISMATCH {bname}");
                        else counters++;
                        continue;
                    }
                    var (e, _) = Measure(ourBuffers[bname].ToFloatArray(), b.data<float>().ToArray());
                    if (e > stats) (stats, worstStat) = (e, bname);
                }
                notes.Add($"running stats {stats:0.0e+0} ({worstStat}), {counters} counters equal");
                if (stats > Tolerance) notes.Add("MISMATCH running statistics out of tolerance");
            }
            return new Result(output, gradient, string.Join("; ", notes));
        },
    };

    /// <summary>
    /// The model's stages one by one, each given LibTorch's output of the stage before (so each stage's error is
    /// its own, not the sum of the stages before it): the output error per stage, in the notes.
    /// </summary>
    static Case Stages(string name, Func<Pair> build, string[] stages, int[] shape, bool train) => new()
    {
        Name = name,
        Tolerance = Tolerance,
        NoGrad = true,
        Body = () =>
        {
            var (ours, _, theirs) = build();
            SpreadNorms(theirs);
            ours.LoadStateDict(ToOurs(theirs.state_dict()));
            ours.Train(train);
            theirs.train(train);
            var theirChildren = theirs.named_children().ToDictionary(c => c.name, c => c.module);
            var data = Draw(new System.Random(5), shape.Aggregate(1, (a, b) => a * b));
            var tx = T.tensor(data, shape.Select(d => (long)d).ToArray());
            double worst = 0;
            var notes = new List<string>();
            using var _ = T.no_grad();
            foreach (var stage in stages)
            {
                var x = S.Tensor.FromArray(tx.contiguous().data<float>().ToArray(), tx.shape.Select(d => (int)d).ToArray());
                S.Tensor y;
                using (S.Autograd.NoGrad()) y = ((S.NN.ITensorModule)ours.GetSubmodule(stage)).Forward(x);
                tx = ((T.nn.Module<T.Tensor, T.Tensor>)theirChildren[stage]).forward(tx);
                var (e, element) = Measure(y.ToFloatArray(), tx.contiguous().data<float>().ToArray());
                worst = Math.Max(worst, e);
                notes.Add($"{stage} {e:0.0e+0} (element-wise {element:0.0e+0})");
            }
            return new Result(worst, double.NaN, string.Join(", ", notes));
        },
    };

    /// <summary>
    /// The inputs of every ReLU of the UNet (in training mode) on both sides, each side running its own chain:
    /// where one side's value is positive and the other's is not, the gradients differ by that element's whole
    /// contribution, however small the two values' difference. Fails if a sign differs beyond rounding.
    /// </summary>
    static Case Kinks(string name, int[] shape, int inputSeed) => new()
    {
        Name = name,
        Tolerance = Tolerance,
        NoGrad = true,
        Body = () =>
        {
            var (ours, _, theirs) = UNet(false);
            SpreadNorms(theirs);
            ours.LoadStateDict(ToOurs(theirs.state_dict()));
            var data = Draw(new System.Random(inputSeed), shape.Aggregate(1, (a, b) => a * b));
            using var _ = T.no_grad();
            using var __ = S.Autograd.NoGrad();
            T.nn.Module Child(T.nn.Module m, string n) => m.named_children().First(c => c.name == n).module;
            S.Tensor Mine(string path, S.Tensor x) => ((S.NN.ITensorModule)ours.GetSubmodule(path)).Forward(x);
            T.Tensor Their(string path, T.Tensor x) => ((T.nn.Module<T.Tensor, T.Tensor>)path.Split('.').Aggregate((T.nn.Module)theirs, Child)).forward(x);

            int flips = 0, total = 0;
            double worst = 0, scaleError = 0;
            var where = new List<string>();
            // One DoubleConv, module by module; the inputs of its two ReLUs (positions 2 and 5) compared.
            (S.Tensor, T.Tensor) Double(string path, S.Tensor x, T.Tensor tx)
            {
                for (int i = 0; i < 6; i++)
                {
                    if (i is 2 or 5)
                    {
                        var a = x.ToFloatArray();
                        var b = tx.contiguous().data<float>().ToArray();
                        scaleError = Math.Max(scaleError, Measure(a, b).Scale);
                        double scale = b.Max(Math.Abs);
                        total += a.Length;
                        for (int k = 0; k < a.Length; k++)
                        {
                            if (a[k] > 0 == b[k] > 0) continue;
                            flips++;
                            worst = Math.Max(worst, (Math.Abs(a[k]) + Math.Abs(b[k])) / scale);
                            if (where.Count < 3) where.Add($"{path}.{i - 1}: ours {a[k]:G3}, LibTorch's {b[k]:G3}");
                        }
                    }
                    x = Mine($"{path}.{i}", x);
                    tx = Their($"{path}.{i}", tx);
                }
                return (x, tx);
            }
            (S.Tensor, T.Tensor) Up(string path, (S.Tensor, T.Tensor) deeper, (S.Tensor, T.Tensor) skip)
            {
                var x1 = Mine($"{path}.up", deeper.Item1);
                var t1 = Their($"{path}.up", deeper.Item2);
                int dy = skip.Item1.Shape[2] - x1.Shape[2], dx = skip.Item1.Shape[3] - x1.Shape[3];
                x1 = S.NN.F.Pad(x1, [dx / 2, dx - dx / 2, dy / 2, dy - dy / 2]);
                t1 = TorchSharp.torch.nn.functional.pad(t1, new long[] { dx / 2, dx - dx / 2, dy / 2, dy - dy / 2 });
                return Double($"{path}.conv.double_conv", S.Tensor.Cat([skip.Item1, x1], 1), T.cat(new[] { skip.Item2, t1 }, 1));
            }
            (S.Tensor, T.Tensor) Down(string path, (S.Tensor, T.Tensor) x) =>
                Double($"{path}.maxpool_conv.1.double_conv", Mine($"{path}.maxpool_conv.0", x.Item1), Their($"{path}.maxpool_conv.0", x.Item2));

            var s1 = Double("inc.double_conv", S.Tensor.FromArray(data, shape), T.tensor(data, shape.Select(d => (long)d).ToArray()));
            var s2 = Down("down1", s1);
            var s3 = Down("down2", s2);
            var s4 = Down("down3", s3);
            Up("up4", Up("up3", Up("up2", Up("up1", Down("down4", s4), s4), s3), s2), s1);
            string notes = $"{flips} of {total:N0} differ in sign, all within {worst:0.0e+0} of the scale of zero{(where.Count > 0 ? ": " + string.Join("; ", where) : "")}";
            // A disagreement in sign is rounding only if both values are within the tensor's rounding of zero.
            if (worst > 1e-5) notes += "; MISMATCH a sign differs beyond rounding";
            return new Result(scaleError, double.NaN, notes);
        },
    };

    /// <summary>LibTorch's state dict written as a safetensors file by hand, loaded into a fresh model of ours by name; eval outputs compared.</summary>
    static Case Checkpoint(string name, Func<Pair> build, int[] shape, long? expectedParameters) => new()
    {
        Name = name,
        Tolerance = Tolerance,
        Body = () =>
        {
            var (ours, ourForward, theirs) = build();
            var notes = new List<string>();
            SpreadNorms(theirs);
            var path = Path.Combine(Path.GetTempPath(), $"shapesafe-conformance-{Environment.ProcessId}.safetensors");
            try
            {
                WriteSafetensors(path, theirs.state_dict());
                var (missing, unexpected) = ours.Load(path);
                if (missing.Count + unexpected.Count > 0) notes.Add($"MISMATCH missing {missing.Count}, unexpected {unexpected.Count}");
            }
            finally
            {
                File.Delete(path);
            }
            long ourCount = ours.Parameters().Sum(p => p.NumEl);
            long theirCount = theirs.parameters().Sum(p => p.numel());
            notes.Add($"{ourCount:N0} parameters, {ours.StateDict().Count} state entries");
            if (ourCount != theirCount || (expectedParameters is { } n && ourCount != n))
                notes.Add($"MISMATCH parameter count: LibTorch's model has {theirCount:N0}{(expectedParameters is { } m ? $", torchvision's {m:N0}" : "")}");
            ours.Eval();
            theirs.eval();
            var data = Draw(new System.Random(7), shape.Aggregate(1, (a, b) => a * b));
            S.Tensor y;
            using (S.Autograd.NoGrad()) y = ourForward(S.Tensor.FromArray(data, shape));
            T.Tensor ty;
            using (T.no_grad()) ty = theirs.forward(T.tensor(data, shape.Select(d => (long)d).ToArray()));
            var (output, element) = Measure(y.ToFloatArray(), ty.data<float>().ToArray());
            notes.Add($"element-wise {element:0.0e+0}");
            return new Result(output, double.NaN, string.Join("; ", notes));
        },
    };

    static void CompareKeys(S.NN.Module ours, T.nn.Module theirs, List<string> notes)
    {
        var ourKeys = ours.StateDict().Keys.ToList();
        // TorchSharp's state_dict lists every parameter before every buffer; PyTorch's (module.state_dict) lists
        // each module's own parameters and then its own buffers, module by module in preorder: rebuilt here.
        // (TorchSharp's named_modules is breadth-first, so the walk is written here, depth-first.)
        var theirKeys = new List<string>();
        void Walk(T.nn.Module m, string dot)
        {
            foreach (var (n, _) in m.named_parameters(recurse: false)) theirKeys.Add(dot + n);
            foreach (var (n, _) in m.named_buffers(recurse: false)) theirKeys.Add(dot + n);
            foreach (var (n, child) in m.named_children()) Walk(child, dot + n + ".");
        }
        Walk(theirs, "");
        if (!theirKeys.ToHashSet().SetEquals(theirs.state_dict().Keys)) notes.Add("MISMATCH PyTorch's order rebuilt wrongly");
        if (!ourKeys.ToHashSet().SetEquals(theirKeys))
            notes.Add($"MISMATCH state-dict keys: only ours {string.Join(", ", ourKeys.Except(theirKeys).Take(3))}; only LibTorch's {string.Join(", ", theirKeys.Except(ourKeys).Take(3))}");
        else
        {
            int first = Enumerable.Range(0, ourKeys.Count).FirstOrDefault(i => ourKeys[i] != theirKeys[i], -1);
            notes.Add(first < 0 ? $"{ourKeys.Count} keys in PyTorch's order"
                : $"{ourKeys.Count} keys, PyTorch's order differs from #{first}: ours {ourKeys[first]}, PyTorch's {theirKeys[first]}");
        }
    }

    // Batch norms start at weight 1, bias 0, mean 0, variance 1, under which a wrong use of one of them goes unseen.
    internal static void SpreadNorms(T.nn.Module model)
    {
        var g = new System.Random(9);
        using var _ = T.no_grad();
        foreach (var (_, m) in model.named_modules())
        {
            if (m is not TorchSharp.Modules.BatchNorm2d bn) continue;
            long c = bn.weight!.shape[0];
            bn.weight.copy_(T.tensor(Uniform(g, c, 0.5, 1.5)));
            bn.bias!.copy_(T.tensor(Uniform(g, c, -0.5, 0.5)));
            bn.running_mean!.copy_(T.tensor(Uniform(g, c, -0.3, 0.3)));
            bn.running_var!.copy_(T.tensor(Uniform(g, c, 0.5, 2.0)));
            bn.num_batches_tracked!.fill_(3);
        }
    }

    /// <summary>
    /// Scale: max_i |a_i - b_i| / max_j |b_j|, the error against the tensor's scale, which is what a model's
    /// tolerance is judged on. Element: the harness's element-wise measure (each element against its own size,
    /// floored at 1e-3 of the scale), reported beside it: through twenty float32 layers the elements near zero
    /// carry the absolute rounding of their neighbours (about 1e-6 of the scale), 1e-4 or more of their own size.
    /// </summary>
    static (double Scale, double Element) Measure(float[] a, float[] b) => (Case.ScaleError(a, b), Case.RelativeError(a, b));

    // Where the largest difference is, for the notes when a tensor is out of tolerance.
    static string WorstAt(float[] a, float[] b)
    {
        int at = 0;
        for (int i = 0; i < a.Length; i++)
            if (Math.Abs(a[i] - b[i]) > Math.Abs(a[at] - b[at])) at = i;
        return Measure(a, b).Scale > Tolerance ? $" (at {at}: ours {a[at]:G6}, LibTorch's {b[at]:G6}, max |LibTorch's| {b.Max(Math.Abs):G6})" : "";
    }

    static float[] Uniform(System.Random g, long count, double low, double high)
    {
        var v = new float[count];
        for (long i = 0; i < count; i++) v[i] = (float)(low + (high - low) * g.NextDouble());
        return v;
    }

    internal static float[] Draw(System.Random g, int count) => Uniform(g, count, -2, 2);

    internal static Dictionary<string, S.Tensor> ToOurs(Dictionary<string, T.Tensor> state) =>
        state.ToDictionary(kv => kv.Key, kv =>
        {
            var t = kv.Value.detach().contiguous();
            var shape = t.shape.Select(d => (int)d).ToArray();
            // FromArray reads an empty shape as "the data's length": a 0-d tensor (num_batches_tracked) is made by Scalar.
            if (t.dtype == T.ScalarType.Int64)
                return shape.Length == 0 ? S.Tensor.Scalar(t.item<long>()) : S.Tensor.FromArray(t.data<long>().ToArray(), shape);
            return shape.Length == 0 ? S.Tensor.Scalar(t.item<float>()) : S.Tensor.FromArray(t.data<float>().ToArray(), shape);
        });

    /// <summary>
    /// The safetensors format written here rather than through a library: an 8-byte little-endian header length,
    /// the JSON header (dtype, shape and [begin, end) byte offsets into the data per tensor, plus
    /// <c>__metadata__</c>), padded with spaces to a multiple of 8, then the tensors' little-endian bytes.
    /// </summary>
    static void WriteSafetensors(string path, Dictionary<string, T.Tensor> state)
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (key, value) in state)
        {
            var t = value.detach().contiguous();
            byte[] bytes = t.dtype switch
            {
                T.ScalarType.Float32 => MemoryMarshal.AsBytes(t.data<float>().ToArray().AsSpan()).ToArray(),
                T.ScalarType.Int64 => MemoryMarshal.AsBytes(t.data<long>().ToArray().AsSpan()).ToArray(),
                _ => throw new NotSupportedException($"{key}: {t.dtype}"),
            };
            var dims = new JsonArray();
            foreach (var d in t.shape) dims.Add(d);
            header[key] = new JsonObject
            {
                ["dtype"] = t.dtype == T.ScalarType.Float32 ? "F32" : "I64",
                ["shape"] = dims,
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        file.Write(length);
        file.Write(json);
        for (int i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
        foreach (var blob in blobs) file.Write(blob);
    }
}
