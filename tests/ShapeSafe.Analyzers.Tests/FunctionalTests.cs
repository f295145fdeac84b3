namespace ShapeSafe.Analyzers.Tests;

/// <summary>The functional API, the factories without an int-array shape and the losses (module and F forms).</summary>
public class FunctionalTests
{
    [Fact]
    public Task F_functions_keep_or_check_shapes() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            [return: Shape("B, 10")]
            Tensor M([Shape("B, 784")] Tensor x, [Shape("B, 10")] Tensor logits)
            {
                var h = F.Dropout(F.Relu(x), 0.1);
                var g = F.Gelu(F.Tanh(F.Sigmoid(h)));
                var p = F.{|SS0006:Softmax(logits, 2)|};
                var bad = g.{|SS0002:Matmul(Tensor.Randn(10, 3))|};
                var flat = F.Flatten(Tensor.Zeros(2, 3, 4), 1);
                var wrong = flat.{|SS0002:Matmul(Tensor.Randn(3, 5))|};
                return {|SS0007:F.LogSoftmax(g, -1)|};
            }
        }
        """);

    [Fact]
    public Task Factories_give_known_shapes() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, 4")] Tensor x)
            {
                var a = Tensor.Arange(12).View(3, 4);
                var e = Tensor.Eye(4);
                var ok = x.Matmul(e) + Tensor.ZerosLike(x);
                var bad = x.{|SS0002:Matmul(Tensor.Eye(3))|};
                var worse = Tensor.Arange(12).{|SS0004:View(5, -1)|};
                var z = {|SS0005:x + Tensor.OnesLike(Tensor.Eye(3))|};
            }
        }
        """);

    [Fact]
    public Task Losses_check_the_target_against_the_input() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            readonly CrossEntropyLoss _ce = new CrossEntropyLoss();
            readonly MSELoss _mse = new MSELoss();

            void M([Shape("B, 10")] Tensor logits, [Shape("B")] Tensor labels, [Shape("B, 1")] Tensor column,
                   [Shape("B, T, 10")] Tensor sequence, [Shape("B, T")] Tensor tags, [Shape("B, 10, T")] Tensor perPosition)
            {
                var ok = _ce.Forward(logits, labels);
                var wrongTarget = _ce.{|SS0005:Forward(logits, column)|};
                var byF = F.{|SS0005:CrossEntropy(sequence, tags)|};
                var kDim = F.CrossEntropy(perPosition, tags);
                var nll = F.{|SS0005:NllLoss(logits, tags)|};
                var mse = _mse.{|SS0005:Forward(logits, column)|};
                var mseOk = F.MseLoss(logits, logits, Reduction.None).Matmul(Tensor.Zeros(10, 2));
                var bce = F.{|SS0005:BinaryCrossEntropyWithLogits(column.Squeeze(1), labels.Unsqueeze(1))|};
                var bceModule = new BCELoss().{|SS0005:Forward(logits, column)|};
            }
        }
        """);
}

public class IntAndListTests
{
    [Fact]
    public Task Shape_Rank_and_negative_indices_on_symbolic_dims() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, T, 64")] Tensor x)
            {
                var last = x.Select(1, -1);                       // [B, 64]
                var bad = last.{|SS0002:Matmul(Tensor.Randn(32, 8))|};
                var flat = x.View(x.Shape[0], x.Shape[1] * x.Shape[2]);
                var wrong = flat.{|SS0002:Matmul(Tensor.Randn(64, 8))|};
                var rank = Tensor.Zeros(x.Rank, 2).{|SS0002:Matmul(Tensor.Randn(3, 3))|};
                var lastDim = x.View(-1, x.Shape[^1]).{|SS0002:Matmul(Tensor.Randn(32, 8))|};
            }
        }
        """);

    [Fact]
    public Task A_list_built_with_Add_is_checked_by_Cat_and_Stack() => Verify.Shapes("""
        using System.Collections.Generic;
        using ShapeSafe;
        class C
        {
            void M([Shape("B, 64")] Tensor x, [Shape("B, 32")] Tensor y, int n)
            {
                var parts = new List<Tensor>();
                parts.Add(x);
                parts.Add(y);
                var joined = Tensor.Cat(parts, 1).{|SS0002:Matmul(Tensor.Randn(64, 8))|};
                var stacked = Tensor.{|SS0003:Stack(parts, 0)|};
                var looped = new List<Tensor>();
                for (int i = 0; i < n; i++) looped.Add(x);
                var unknown = Tensor.Stack(looped, 0);            // how many: unknown, silent
            }
        }
        """);
}

public class MemberValueTests
{
    [Fact]
    public Task Read_only_int_and_tensor_fields_set_in_constructors_are_known() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class Attention : Module
        {
            readonly int _heads = 8;
            readonly int _width;
            readonly int _scale;
            readonly Tensor _mask;
            int _mutable = 4;

            public Attention([Dim("C")] int width)
            {
                _width = width;
                _scale = _scale * 2;
                _mask = Tensor.Ones(16, 16);
            }

            public Tensor Forward([Shape("B, 16, C")] Tensor x)
            {
                var heads = x.View(x.Size(0), 16, _heads, _width / _heads).Transpose(1, 2);   // [B, 8, 16, C/8]
                var scores = heads.Matmul(heads.Transpose(-2, -1)) + _mask;
                var bad = scores.{|SS0002:Matmul(Tensor.Randn(8, 3))|};
                var wrong = {|SS0005:scores + Tensor.Ones(_heads, 3)|};
                var unknown = x.View(x.Size(0), 16, _mutable, -1);
                return x.View(x.Size(0), 16, _scale, -1);
            }
        }
        """);
}

public class HelperSummaryTests
{
    [Fact]
    public Task Unannotated_helpers_are_followed_through_their_bodies() => Verify.Shapes("""
        using ShapeSafe;
        class Attention
        {
            static Tensor SplitHeads(Tensor x, int heads) => x.View(x.Size(0), x.Size(1), heads, -1).Transpose(1, 2);
            Tensor Merge(Tensor x) => Twice(x).Transpose(1, 2).Reshape(x.Size(0), x.Size(2), -1);
            Tensor Twice(Tensor x) => x * 2f;
            static Tensor Recurse(Tensor x) => Recurse(x);
            static Tensor Branch(Tensor x, bool flag) { if (flag) return x; return x.Transpose(0, 1); }

            void M([Shape("B, 16, 64")] Tensor x, bool flag)
            {
                var heads = SplitHeads(x, 8);                       // [B, 8, 16, 8]
                var bad = heads.{|SS0002:Matmul(Tensor.Randn(16, 3))|};
                var merged = Merge(heads);                          // [B, 16, 64]
                var wrong = merged.{|SS0002:Matmul(Tensor.Randn(32, 3))|};
                var view = heads.{|SS0001:View(x.Size(0), 16, 64)|};
                var unknown = Recurse(x).Matmul(Tensor.Randn(7, 7));
                var known = Branch(x, true).{|SS0002:Matmul(Tensor.Randn(7, 7))|};
                var either = Branch(x, flag).Matmul(Tensor.Randn(7, 7)); // [B, 16, 64] or [16, B, 64]: unknown
            }
        }
        """);
}

public class RecurrentTests
{
    [Fact]
    public Task LSTM_GRU_and_attention_tuples_have_known_shapes_and_check_their_states() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class Tagger : Module
        {
            readonly LSTM _lstm = new LSTM(64, 128, numLayers: 2, batchFirst: true, bidirectional: true);
            readonly GRU _gru = new GRU(64, 32);
            readonly MultiheadAttention _attention = new MultiheadAttention(64, 8, batchFirst: true);
            readonly Linear _tags = new Linear(256, 17);

            public Tensor Forward([Shape("B, T, 64")] Tensor words, [Shape("4, B, 128")] Tensor h0, [Shape("2, B, 128")] Tensor wrong)
            {
                var (output, (h, c)) = _lstm.Forward(words);                    // [B, T, 256], h and c [4, B, 128]
                var scores = _tags.Forward(output);
                var last = h.{|SS0002:Matmul(Tensor.Randn(64, 2))|};
                var again = _lstm.Forward(words, (h0, h0)).Output;
                var bad = _lstm.{|SS0008:Forward(words, (wrong, wrong))|};
                var (steps, final) = _gru.Forward(words.Transpose(0, 1));       // [T, B, 32], [1, B, 32]
                var joined = steps.{|SS0002:Matmul(Tensor.Randn(64, 2))|};
                var (attended, weights) = _attention.Forward(words, words, words);  // [B, T, 64], [B, T, T]
                var mixed = weights.Matmul(attended).{|SS0002:Matmul(Tensor.Randn(32, 2))|};
                var narrow = _lstm.Forward({|SS0008:scores|});
                return scores;
            }
        }
        """);

    [Fact]
    public Task LSTM_projection_sizes_h_and_the_output_while_c_keeps_the_hidden_size() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class Projected : Module
        {
            readonly LSTM _lstm = new LSTM(64, 128, numLayers: 2, bidirectional: true, projSize: 32);
            readonly Linear _tags = new Linear(64, 17);

            public Tensor Forward([Shape("T, B, 64")] Tensor words, [Shape("4, B, 32")] Tensor h0, [Shape("4, B, 128")] Tensor c0, Tensor lengths)
            {
                var (output, (h, c)) = _lstm.Forward(words, (h0, c0));          // [T, B, 64], h [4, B, 32], c [4, B, 128]
                var scores = _tags.Forward(output);
                var last = h.{|SS0002:Matmul(Tensor.Randn(128, 2))|};
                var cell = c.Matmul(Tensor.Randn(128, 2));
                var swapped = _lstm.{|SS0008:Forward(words, (c0, h0))|};
                var packed = _lstm.Forward(Utils.Rnn.PackPaddedSequence(words, lengths)).Output;
                return scores;
            }
        }
        """);

    [Fact]
    public Task Attention_masks_are_checked_against_the_query_and_key_lengths() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class Decoder : Module
        {
            readonly MultiheadAttention _self = new MultiheadAttention(64, 8, batchFirst: true);
            readonly MultiheadAttention _cross = new MultiheadAttention(64, 4);

            public Tensor Forward([Shape("B, T, 64")] Tensor x, [Shape("S, B, 64")] Tensor memory, [Shape("B, S")] Tensor padding,
                                  [Shape("T, T")] Tensor causal, [Shape("B, T")] Tensor wrongPadding)
            {
                var ok = _self.Forward(x, x, x, attnMask: causal).Output;
                var square = _self.{|SS0008:Forward(x, x, x, attnMask: Tensor.Zeros(8, 8))|}.Output;       // only when T is 8
                var perHead = _self.{|SS0008:Forward(x, x, x, attnMask: Tensor.Zeros(16, 5, 5))|};         // [8*B, T, T] only when B is 2, T is 5
                var heads = _self.Forward(x, x, x, attnMask: causal.Unsqueeze(0).Expand(8 * x.Size(0), -1, -1));
                var rank = _self.{|SS0008:Forward(x, x, x, attnMask: Tensor.Zeros(1, 1, 5, 5))|};
                var q = x.Transpose(0, 1);                                                       // [T, B, 64]
                var cross = _cross.Forward(q, memory, memory, keyPaddingMask: padding).Output;    // [T, B, 64]
                var swapped = _cross.{|SS0008:Forward(q, memory, memory, keyPaddingMask: padding.Transpose(0, 1))|};
                var wrongLength = _cross.{|SS0008:Forward(q, memory, memory, keyPaddingMask: wrongPadding)|};
                var crossMask = _cross.{|SS0008:Forward(q, memory, memory, attnMask: causal)|};
                return cross;
            }
        }
        """);
}

public class IndexLoopTests
{
    [Fact]
    public Task Index_loops_over_lists_of_alike_layers_check_each_step() => Verify.Shapes("""
        using System.Linq;
        using ShapeSafe;
        using ShapeSafe.NN;
        class Tower : Module
        {
            readonly ModuleList<Linear> _same = new ModuleList<Linear> { new Linear(64, 64), new Linear(64, 64) };
            readonly ModuleList<Linear> _mixed = new ModuleList<Linear> { new Linear(64, 32), new Linear(32, 64) };

            public Tensor Forward([Shape("B, 64")] Tensor x, [Shape("B, 32")] Tensor y)
            {
                for (int i = 0; i < 2; i++) x = _same[i].Forward(x);
                var wrong = x.{|SS0002:Matmul(Tensor.Randn(32, 3))|};
                var first = _same[0].Forward({|SS0008:y|});
                var layers = new[] { new Linear(64, 64), new Linear(64, 64) };
                for (int i = 0; i < layers.Length; i++) x = layers[i].Forward(x);
                for (int i = 0; i < 2; i++) x = _mixed[i].Forward(x);   // different layers: each step with its own layer
                var known = x.{|SS0002:Matmul(Tensor.Randn(32, 3))|};
                return x;
            }
        }
        """);

    [Fact]
    public Task Index_loops_over_lists_of_different_layers_check_each_layer_and_join_at_the_exit() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class Funnel : Module
        {
            readonly ModuleList<Module> _layers = new ModuleList<Module> { new Linear(64, 32), new ReLU(), new Linear(32, 16) };
            readonly ModuleList<Linear> _broken = new ModuleList<Linear> { new Linear(64, 32), new Linear(64, 16) };
            readonly ModuleList<Linear> _narrowing = new ModuleList<Linear> { new Linear(64, 64), new Linear(64, 32) };

            public Tensor Forward([Shape("B, 64")] Tensor x, int depth)
            {
                var h = x;
                for (int i = 0; i < _layers.Count; i++) h = ((ITensorModule)_layers[i]).Forward(h);
                var out16 = h.{|SS0002:Matmul(Tensor.Randn(32, 3))|};       // [B, 16] after all three
                var g = x;
                for (int i = 0; i < _broken.Count; i++) g = _broken[i].Forward({|SS0008:g|});   // the second expects 64, gets 32
                var partial = x;
                for (int i = 0; i < depth; i++) partial = _narrowing[i].Forward(partial);  // unknown count: the exit joins every prefix
                var unknown = partial.Matmul(Tensor.Randn(32, 3));
                var arrays = new[] { new Linear(64, 48), new Linear(48, 8) };
                var a = x;
                for (int k = arrays.Length - 1; k >= 0; k--) a = arrays[k].Forward({|SS0008:a|});    // reversed: 48 first
                return h;
            }
        }
        """);
}

public class MultiIndexTests
{
    [Fact]
    public Task Index_entries_select_keep_or_slice_dims() => Verify.Shapes("""
        using ShapeSafe;
        class C
        {
            void M([Shape("B, T, 64")] Tensor output)
            {
                var last = output[.., -1];                            // [B, 64]
                var bad = last.{|SS0002:Matmul(Tensor.Randn(32, 2))|};
                var fromEnd = output[.., ^1].{|SS0002:Matmul(Tensor.Randn(32, 2))|};
                var first = output[0, 0].{|SS0002:Matmul(Tensor.Randn(32, 2))|};
                var window = output[.., 1..3];                        // [B, 2, 64]
                var ok = window.View(window.Size(0), 128);
                var many = {|SS0006:output[0, 0, 0, 0]|};
            }
        }
        """);
}

public class IntArithmeticTests
{
    [Fact]
    public Task Sizes_read_from_tensors_flow_into_views_factories_and_layers() => Verify.Shapes("""
        using ShapeSafe;
        using ShapeSafe.NN;
        class C
        {
            void M([Shape("B, T, 64")] Tensor x)
            {
                int b = x.Size(0), t = x.Size(1), d = x.Size(-1);
                var flat = x.View(b * t, d);
                var head = new Linear(d, 10).Forward(flat);                 // [B*T, 10]
                var wrong = new Linear(d * 2, 10).Forward({|SS0008:flat|});
                var mask = Tensor.Zeros(t, t);
                var bad = {|SS0005:mask + Tensor.Zeros(b, t + 1)|};
                var halves = x.Chunk(2, 2);                                 // two [B, T, 32]
                var joined = halves[0].{|SS0002:Matmul(Tensor.Randn(64, 3))|};
                var grown = x.Narrow(1, 0, 1).Expand(b, t, d);
                var check = grown.{|SS0002:Matmul(Tensor.Randn(32, 3))|};
            }
        }
        """);
}
