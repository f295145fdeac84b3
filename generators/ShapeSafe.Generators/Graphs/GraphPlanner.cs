using System;
using System.Collections.Generic;
using System.Linq;
using ShapeSafe.Generators.Model;
using ShapeSafe.Shapes.Graph;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>What one step of a compiled forward runs (fused ops are one step).</summary>
    internal enum StepKind
    {
        Linear,
        LinearRelu,
        Conv2d,
        Conv2dRelu,
        Conv2dReluMaxPool,
        MaxPool2d,
        LayerNorm,
        BatchNorm,
        Embedding,
        Dropout,
        Softmax,
        LogSoftmax,
        Relu,
        Flatten,
        Reshape,
        Permute,
        Contiguous,
        Add,
        Mul,
        Sub,
        Div,
        Neg,
        AddScalar,
        SubScalar,
        RsubScalar,
        MulScalar,
        DivScalar,
        RdivScalar,
        Sigmoid,
        Tanh,
        Gelu,
        SelfAttention,
        TransformerEncoderLayer,
        TransformerDecoderLayer,
        Recurrent,
        RecurrentHidden,
        RecurrentCell,
        Slice,
        Matmul,
        FunctionalLinear,
        Layer,
        Function,
        CrossAttention,
        AttentionWeights,
        Activation,
        Dropout2d,
    }

    /// <summary>Where a value of the graph lives.</summary>
    internal enum Home
    {
        /// <summary>One of <c>Forward</c>'s arguments, or a parameter or buffer of the module that <c>Forward</c> reads.</summary>
        Input,

        /// <summary>A view of an argument, made per call (a flattened input).</summary>
        InputView,

        /// <summary>A buffer of the plan's arena.</summary>
        Arena,

        /// <summary>The tensor <c>Forward</c> returns, new for every call.</summary>
        Output,
    }

    /// <summary>A value of the graph (a node's result) and where it lives.</summary>
    internal sealed class PlannedValue
    {
        public PlannedValue(int node, string name) { Node = node; Name = name; }

        public int Node { get; }
        public string Name { get; }
        public Home Home { get; set; }

        /// <summary>For a view (a flatten of an arena buffer): the value whose storage it shares.</summary>
        public PlannedValue? ViewOf { get; set; }

        /// <summary>The step that computes it (-1 for arguments).</summary>
        public int Producer { get; set; } = -1;

        /// <summary>The steps that read it, in forward order (a step that reads it twice is listed twice).</summary>
        public List<int> Consumers { get; } = new List<int>();
    }

    /// <summary>One step of the forward and, in reverse, of the backward.</summary>
    internal sealed partial class PlannedStep
    {
        public PlannedStep(int index, StepKind kind, IReadOnlyList<GraphNode> nodes, IReadOnlyList<PlannedValue> inputs, PlannedValue output, string module, string poolModule)
        {
            Index = index;
            Kind = kind;
            Nodes = nodes;
            Inputs = inputs;
            Output = output;
            Module = module;
            PoolModule = poolModule;
        }

        public int Index { get; }
        public StepKind Kind { get; }
        public IReadOnlyList<GraphNode> Nodes { get; }
        public IReadOnlyList<PlannedValue> Inputs { get; }
        public PlannedValue Output { get; }

        /// <summary>The child module it calls (the convolution, for a fused convolution and pool), or empty.</summary>
        public string Module { get; }

        /// <summary>For a fused convolution and pool: the pool.</summary>
        public string PoolModule { get; }

        public bool HasParameters => Kind is StepKind.Linear or StepKind.LinearRelu or StepKind.Conv2d or StepKind.Conv2dRelu or StepKind.Conv2dReluMaxPool
            or StepKind.LayerNorm or StepKind.BatchNorm or StepKind.Embedding || IsAttention || Kind == StepKind.Recurrent
            || Kind == StepKind.Layer && Nodes[0].Arguments.Count > 1
            || Kind == StepKind.TransformerDecoderLayer;

        /// <summary>The members of its module that are parameters (an embedding has no bias), as paths from the module.</summary>
        public IReadOnlyList<string> ParameterMembers => Kind switch
        {
            StepKind.Embedding => new[] { "Weight" },
            StepKind.SelfAttention => AttentionParameters,
            StepKind.TransformerEncoderLayer => EncoderLayerParameters,
            StepKind.Recurrent => RecurrentParameters(Nodes[0]),
            StepKind.Layer => LayerParameters(Nodes[0]),
            StepKind.CrossAttention => CrossAttentionParameters,
            StepKind.TransformerDecoderLayer => DecoderLayerParameters(Nodes[0]),
            _ => new[] { "Weight", "Bias" },
        };

        /// <summary>
        /// Whether its module's parameter <paramref name="member"/> is declared nullable: every bias, a norm's weight,
        /// and the attention's projections (the packed one is null when key and value have other widths, the separate
        /// q/k/v ones otherwise).
        /// </summary>
        public bool MayBeNull(string member) => member.EndsWith("Bias", StringComparison.Ordinal) || member.EndsWith("ProjWeight", StringComparison.Ordinal)
            || member.StartsWith("Norm", StringComparison.Ordinal) || WeightMayBeNull && member == "Weight";

        /// <summary>Whether it is an attention layer's composite step, whose kernels keep their own state (a self-attention or an encoder layer).</summary>
        public bool IsAttention => Kind is StepKind.SelfAttention or StepKind.TransformerEncoderLayer or StepKind.CrossAttention;

        /// <summary>How many of its first operands are the attention's inputs (the query, key and value of a cross-attention), before its masks.</summary>
        public int AttentionInputs => Kind == StepKind.CrossAttention ? 3 : IsDecoderLayer ? 2 : 1;

        /// <summary>A <c>MultiheadAttention</c>'s parameters in its registration order.</summary>
        static readonly string[] AttentionParameters = { "InProjWeight", "InProjBias", "OutProj.Weight", "OutProj.Bias" };

        /// <summary>
        /// A cross-attention's parameters in registration order, for either form of the layer: the packed projection
        /// or the separate q/k/v ones of a kdim/vdim layer (the other form's are null).
        /// </summary>
        static readonly string[] CrossAttentionParameters =
            { "InProjWeight", "QProjWeight", "KProjWeight", "VProjWeight", "InProjBias", "OutProj.Weight", "OutProj.Bias" };

        /// <summary>A <c>TransformerEncoderLayer</c>'s parameters in its registration order.</summary>
        static readonly string[] EncoderLayerParameters =
        {
            "SelfAttn.InProjWeight", "SelfAttn.InProjBias", "SelfAttn.OutProj.Weight", "SelfAttn.OutProj.Bias",
            "Linear1.Weight", "Linear1.Bias", "Linear2.Weight", "Linear2.Bias",
            "Norm1.Weight", "Norm1.Bias", "Norm2.Weight", "Norm2.Bias",
        };
        public bool IsConvolution => Kind is StepKind.Conv2d or StepKind.Conv2dRelu or StepKind.Conv2dReluMaxPool;
        public bool HasIndices => Kind is StepKind.MaxPool2d or StepKind.Conv2dReluMaxPool;

        /// <summary>Whether it saves per-row statistics for its backward (a layer norm's mean and 1/std).</summary>
        public bool HasStatistics => Kind == StepKind.LayerNorm;

        /// <summary>Whether it saves per-channel statistics for its backward, and whether they were the batch's (a batch norm's).</summary>
        public bool HasChannelStatistics => Kind == StepKind.BatchNorm;

        /// <summary>Whether it keeps a mask for its backward (a dropout's, drawn in training mode).</summary>
        public bool HasMask => Kind is StepKind.Dropout or StepKind.Dropout2d;

        /// <summary>Whether its module's weight may be null as well as its bias (a layer norm without an affine transform).</summary>
        public bool WeightMayBeNull => Kind is StepKind.LayerNorm or StepKind.BatchNorm || IsGroupNorm;

        /// <summary>Whether its backward reads its output (a ReLU's mask, a fused pool's values).</summary>
        public bool SavesOutput => Kind is StepKind.LinearRelu or StepKind.Conv2dRelu or StepKind.Conv2dReluMaxPool or StepKind.Relu
            or StepKind.Sigmoid or StepKind.Tanh or StepKind.Softmax or StepKind.LogSoftmax or StepKind.RdivScalar;

        /// <summary>Whether its value is a view of its input's storage: contiguous (a flatten, view, squeeze...) or strided (a transpose or permute).</summary>
        public bool IsView => Kind is StepKind.Flatten or StepKind.Reshape or StepKind.Permute;

        /// <summary>Whether it runs along a dim the plan works out (a softmax's).</summary>
        public bool HasDim => Kind is StepKind.Softmax or StepKind.LogSoftmax;

        /// <summary>Whether its backward reads its inputs (a weight gradient, GELU's derivative, a product's other operand).</summary>
        public bool SavesInput => HasParameters || Kind is StepKind.Gelu or StepKind.Mul or StepKind.Div or StepKind.RdivScalar
            or StepKind.Matmul or StepKind.FunctionalLinear or StepKind.Activation;

        /// <summary>
        /// Whether its backward forms a gradient at its output's shape before summing it to a broadcast operand's (a
        /// product's or a quotient's): it gets a scratch buffer of the output's shape for that.
        /// </summary>
        public bool HasScratch => Kind is StepKind.Mul or StepKind.Div;

        /// <summary>Whether it combines its input with a scalar (the node's first argument).</summary>
        public bool HasScalar => Kind is StepKind.AddScalar or StepKind.SubScalar or StepKind.RsubScalar or StepKind.MulScalar
            or StepKind.DivScalar or StepKind.RdivScalar;
    }

    /// <summary>An arena buffer: a forward value, a gradient or a scratch tensor, with the steps it is live in.</summary>
    internal sealed class PlannedBuffer
    {
        public PlannedBuffer(string name, string shape, int first, int last, string purpose)
        {
            Name = name;
            Shape = shape;
            First = first;
            Last = last;
            Purpose = purpose;
        }

        /// <summary>The field of the buffer set.</summary>
        public string Name { get; }

        /// <summary>The plan's field holding its shape.</summary>
        public string Shape { get; }

        public int First { get; set; }
        public int Last { get; set; }
        public string Purpose { get; }

        /// <summary>For a view: the buffer whose storage it shares.</summary>
        public PlannedBuffer? ViewOf { get; set; }

        /// <summary>Whether it is a transposed or permuted view (laid over its storage by the plan's strides, not its shape's).</summary>
        public bool Strided { get; set; }

        public int Slot { get; set; } = -1;
    }

    /// <summary>
    /// The compiled form of a captured graph: the fused steps, where each value lives, every buffer and its lifetime,
    /// and the slots that buffers whose lifetimes do not overlap share. Time runs over the forward's steps
    /// (0 .. n-1) and then the backward's (n .. 2n-1, step k's backward at 2n-1-k).
    /// </summary>
    internal sealed partial class GraphPlanner
    {
        GraphPlanner(CapturedGraph graph) => Graph = graph;

        public CapturedGraph Graph { get; }
        public List<PlannedValue> Values { get; } = new List<PlannedValue>();
        public List<PlannedStep> Steps { get; } = new List<PlannedStep>();
        public List<PlannedBuffer> Buffers { get; } = new List<PlannedBuffer>();
        public int SlotCount { get; private set; }

        /// <summary>The value each node computes (fused nodes inside a step have none of their own).</summary>
        public PlannedValue?[] ValueOfNode { get; private set; } = Array.Empty<PlannedValue?>();

        public PlannedValue Output => ValueOfNode[Graph.Output]!;

        /// <summary>Whether an argument holds indices (an embedding reads it), so the graph takes it as Int64.</summary>
        /// <summary>Whether Forward's input <paramref name="input"/> is an attention step's mask (Bool or Float32, guarded as such).</summary>
        public bool IsMaskInput(int input) => Steps.Any(s => (s.IsAttention || s.IsDecoderLayer) && s.Inputs.Skip(s.AttentionInputs).Any(v => v.Node == input && v.Home == Home.Input));

        public bool IsIndexInput(int input) => Steps.Any(s => s.Kind == StepKind.Embedding && s.Inputs[0].Node == input && s.Inputs[0].Home == Home.Input);

        /// <summary>The backward time of step <paramref name="step"/>.</summary>
        public int BackwardTime(int step) => 2 * Steps.Count - 1 - step;

        /// <summary>The graph's plan; <paramref name="shapes"/>, its symbolic shapes, price the values recomputation may save.</summary>
        public static GraphPlanner Plan(CapturedGraph graph, GraphShapes? shapes = null)
        {
            var planner = new GraphPlanner(graph) { Shapes = shapes };
            planner.Fuse();
            planner.PlaceValues();
            planner.PlanBuffers();
            planner.SlotCount = AssignSlots(planner.Buffers);
            planner.PlanRecomputation();
            return planner;
        }

        void Fuse()
        {
            var nodes = Graph.Nodes;
            var readers = new List<int>[nodes.Count];
            for (int i = 0; i < nodes.Count; i++) readers[i] = new List<int>();
            for (int i = 0; i < nodes.Count; i++)
                foreach (var input in nodes[i].Inputs) readers[input].Add(i);
            ValueOfNode = new PlannedValue?[nodes.Count];
            // Value names become member names of the emitted Plan and Buffers (OutputShape, Output), so theirs are taken.
            var names = new HashSet<string>(ReservedNames, StringComparer.Ordinal);
            var covered = new bool[nodes.Count];
            // Nodes the output does not depend on are never run (a local computed and not used).
            var live = new bool[nodes.Count];
            live[Graph.Output] = true;
            for (int i = nodes.Count - 1; i >= 0; i--)
                if (live[i])
                    foreach (var input in nodes[i].Inputs) live[input] = true;
            foreach (var list in readers) list.RemoveAll(r => !live[r]);

            for (int i = 0; i < nodes.Count; i++)
            {
                var node = nodes[i];
                if (node.Op == GraphOp.Input || ForwardCapture.IsState(node.Op))
                {
                    // A parameter or buffer read by nothing the output depends on is never read.
                    if (node.Op != GraphOp.Input && !live[i]) continue;
                    var leafName = node.Op == GraphOp.Input ? char.ToUpperInvariant(node.Source[0]) + node.Source.Substring(1) : Pascal(node.Arguments[0]);
                    var input = new PlannedValue(i, UniqueName(leafName, names)) { Home = Home.Input };
                    ValueOfNode[i] = input;
                    Values.Add(input);
                    continue;
                }
                if (covered[i] || !live[i]) continue;
                // The chain from this node: each value read only by the next node, and not returned.
                var chain = new List<int> { i };
                while (chain.Count < 3)
                {
                    int last = chain[chain.Count - 1];
                    if (last == Graph.Output || readers[last].Count != 1) break;
                    chain.Add(readers[last][0]);
                }
                FusibleOp At(int k) => k < chain.Count ? Fusible(nodes[chain[k]].Op) : FusibleOp.Other;
                var (fusion, length) = FusionRules.Match(At(0), At(1), At(2));
                var members = chain.Take(length).ToList();
                foreach (var member in members) covered[member] = true;
                var kind = Kind(node.Op, fusion);
                // Contiguous() copies a strided view and hands any other value on as it is, as the eager method does.
                if (node.Op == GraphOp.Contiguous)
                    kind = nodes[node.Inputs[0]].Op is GraphOp.Transpose or GraphOp.Permute ? StepKind.Contiguous : StepKind.Reshape;
                int outputNode = members[members.Count - 1];
                var output = new PlannedValue(outputNode, UniqueName(Name(nodes[outputNode], members, nodes), names));
                ValueOfNode[outputNode] = output;
                Values.Add(output);
                var inputs = node.Inputs.Select(n => ValueOfNode[n]!).ToList();
                var step = new PlannedStep(Steps.Count, kind, members.Select(n => nodes[n]).ToList(), inputs, output,
                    node.Module, fusion == Fusion.Conv2dReluMaxPool ? nodes[members[2]].Module : "");
                output.Producer = step.Index;
                foreach (var input in inputs) input.Consumers.Add(step.Index);
                Steps.Add(step);
            }
        }

        void PlaceValues()
        {
            foreach (var step in Steps)
            {
                var value = step.Output;
                if (ReferenceEquals(value, Output) && !step.IsView)
                {
                    value.Home = Home.Output;
                }
                else if (step.IsView)
                {
                    // A view: of an argument, made per call; of a buffer, made once over its storage.
                    var source = step.Inputs[0];
                    value.Home = source.Home is Home.Input or Home.InputView ? Home.InputView : Home.Arena;
                    if (value.Home == Home.Arena) value.ViewOf = source.ViewOf ?? source;
                }
                else
                {
                    value.Home = Home.Arena;
                }
            }
        }

        /// <summary>The output of the graph, when it is a view: copied into the returned tensor.</summary>
        public bool OutputIsCopied => Steps.Count > 0 && Steps[Steps.Count - 1].IsView && ReferenceEquals(Steps[Steps.Count - 1].Output, Output)
            || Output.Home == Home.Input;

        void PlanBuffers()
        {
            var forward = new Dictionary<PlannedValue, PlannedBuffer>();
            foreach (var value in Values.Where(v => v.Home == Home.Arena))
            {
                int last = value.Producer;
                foreach (var consumer in value.Consumers)
                {
                    last = Math.Max(last, consumer);
                    if (Steps[consumer].SavesInput) last = Math.Max(last, BackwardTime(consumer));
                }
                if (Steps[value.Producer].SavesOutput) last = Math.Max(last, BackwardTime(value.Producer));
                if (ReferenceEquals(value, Output)) last = Math.Max(last, Steps.Count - 1);
                var buffer = new PlannedBuffer(value.Name, value.Name + "Shape", value.Producer, last, "the value of " + Steps[value.Producer].Nodes[0].Source)
                {
                    Strided = Steps[value.Producer].Kind == StepKind.Permute,
                };
                if (value.ViewOf is { } root) buffer.ViewOf = forward[root];
                forward[value] = buffer;
                Buffers.Add(buffer);
            }
            // A view keeps its storage alive: the root lives as long as its longest view.
            foreach (var buffer in Buffers.Where(b => b.ViewOf is not null))
                buffer.ViewOf!.Last = Math.Max(buffer.ViewOf.Last, buffer.Last);

            // Gradients: every computed value but the output has one, from the first backward step that reaches it
            // (its last reader's) to its producer's backward step.
            foreach (var value in Values.Where(v => v.Home is Home.Arena or Home.InputView && !ReferenceEquals(v, Output)))
            {
                if (value.Consumers.Count == 0) continue;
                int first = BackwardTime(value.Consumers.Max());
                Buffers.Add(new PlannedBuffer(GradName(value), value.Name + "Shape", first, BackwardTime(value.Producer), "the gradient of " + value.Name));
            }
            foreach (var step in Steps)
            {
                int time = BackwardTime(step.Index);
                if (step.Kind == StepKind.LinearRelu && ReferenceEquals(step.Output, Output))
                    Buffers.Add(new PlannedBuffer(step.Output.Name + "Masked", step.Output.Name + "Shape", time, time, "the gradient through " + step.Output.Name + "'s ReLU"));
                if (step.HasScratch)
                    Buffers.Add(new PlannedBuffer(ScratchName(step), step.Output.Name + "Shape", time, time, "an operand's gradient at " + step.Output.Name + "'s shape, before it is summed to the operand's"));
                // A second path into a value: the step writes a partial gradient, then adds it.
                for (int i = 0; i < step.Inputs.Count; i++)
                    if (NeedsPartial(step, i))
                        Buffers.Add(new PlannedBuffer(PartialName(step, i), step.Inputs[i].Name + "Shape", time, time, "a partial gradient of " + step.Inputs[i].Name));
            }
        }

        /// <summary>Whether step <paramref name="step"/>'s gradient for its input <paramref name="i"/> adds to one already there.</summary>
        public bool Accumulates(PlannedStep step, int i)
        {
            var value = step.Inputs[i];
            // Contributions arrive in backward order: from the last reader first. An attention's weights read its step's
            // value but hand their gradient to the step's state, not to that value.
            var order = new List<(int Step, int Slot)>();
            foreach (var s in Steps.OrderByDescending(s => s.Index).Where(s => s.Kind != StepKind.AttentionWeights))
                for (int k = 0; k < s.Inputs.Count; k++)
                    if (ReferenceEquals(s.Inputs[k], value)) order.Add((s.Index, k));
            return !(order[0].Step == step.Index && order[0].Slot == i);
        }

        /// <summary>Whether the step needs a scratch buffer for input <paramref name="i"/>'s partial gradient (a kernel that writes, not adds).</summary>
        public bool NeedsPartial(PlannedStep step, int i) =>
            Accumulates(step, i) && step.Kind is not (StepKind.Flatten or StepKind.Reshape or StepKind.Contiguous or StepKind.AddScalar or StepKind.SubScalar)
            && !step.IsAttention && !step.ReadsRecurrentState && step.Kind is not (StepKind.Recurrent or StepKind.Layer or StepKind.Function or StepKind.TransformerDecoderLayer)
            && step.Inputs[i].Home != Home.Input;

        public static string GradName(PlannedValue value) => value.Name + "Grad";

        public static string PartialName(PlannedStep step, int input) => step.Output.Name + "Partial" + input;

        public static string ScratchName(PlannedStep step) => step.Output.Name + "Scratch";

        /// <summary>Gives each of <paramref name="buffers"/> a slot and returns how many there are.</summary>
        static int AssignSlots(List<PlannedBuffer> buffers)
        {
            // Greedy over start time: a buffer takes the first slot whose buffers all ended before it starts.
            var slotEnds = new List<int>();
            foreach (var buffer in buffers.Where(b => b.ViewOf is null).OrderBy(b => b.First).ThenBy(b => buffers.IndexOf(b)))
            {
                int slot = slotEnds.FindIndex(end => end < buffer.First);
                if (slot < 0)
                {
                    slot = slotEnds.Count;
                    slotEnds.Add(buffer.Last);
                }
                else
                {
                    slotEnds[slot] = buffer.Last;
                }
                buffer.Slot = slot;
            }
            foreach (var view in buffers.Where(b => b.ViewOf is not null)) view.Slot = view.ViewOf!.Slot;
            return slotEnds.Count;
        }

        static FusibleOp Fusible(GraphOp op) => op switch
        {
            GraphOp.Linear => FusibleOp.Linear,
            GraphOp.Conv2d => FusibleOp.Conv2d,
            GraphOp.Relu => FusibleOp.Relu,
            GraphOp.MaxPool2d => FusibleOp.MaxPool2d,
            _ => FusibleOp.Other,
        };

        static StepKind Kind(GraphOp op, Fusion fusion) => fusion switch
        {
            Fusion.LinearRelu => StepKind.LinearRelu,
            Fusion.Conv2dRelu => StepKind.Conv2dRelu,
            Fusion.Conv2dReluMaxPool => StepKind.Conv2dReluMaxPool,
            _ => op switch
            {
                GraphOp.Linear => StepKind.Linear,
                GraphOp.Conv2d => StepKind.Conv2d,
                GraphOp.MaxPool2d => StepKind.MaxPool2d,
                GraphOp.LayerNorm => StepKind.LayerNorm,
                GraphOp.BatchNorm => StepKind.BatchNorm,
                GraphOp.Embedding => StepKind.Embedding,
                GraphOp.Dropout => StepKind.Dropout,
                GraphOp.Softmax => StepKind.Softmax,
                GraphOp.LogSoftmax => StepKind.LogSoftmax,
                GraphOp.Relu => StepKind.Relu,
                GraphOp.Flatten => StepKind.Flatten,
                GraphOp.View or GraphOp.Squeeze or GraphOp.Unsqueeze => StepKind.Reshape,
                GraphOp.Transpose or GraphOp.Permute => StepKind.Permute,
                GraphOp.Mul => StepKind.Mul,
                GraphOp.Sub => StepKind.Sub,
                GraphOp.Div => StepKind.Div,
                GraphOp.Neg => StepKind.Neg,
                GraphOp.AddScalar => StepKind.AddScalar,
                GraphOp.SubScalar => StepKind.SubScalar,
                GraphOp.RsubScalar => StepKind.RsubScalar,
                GraphOp.MulScalar => StepKind.MulScalar,
                GraphOp.DivScalar => StepKind.DivScalar,
                GraphOp.RdivScalar => StepKind.RdivScalar,
                GraphOp.Sigmoid => StepKind.Sigmoid,
                GraphOp.Tanh => StepKind.Tanh,
                GraphOp.Gelu => StepKind.Gelu,
                GraphOp.SelfAttention => StepKind.SelfAttention,
                GraphOp.TransformerEncoderLayer => StepKind.TransformerEncoderLayer,
                GraphOp.TransformerDecoderLayer => StepKind.TransformerDecoderLayer,
                GraphOp.Recurrent => StepKind.Recurrent,
                GraphOp.RecurrentHidden => StepKind.RecurrentHidden,
                GraphOp.RecurrentCell => StepKind.RecurrentCell,
                GraphOp.Select or GraphOp.Narrow => StepKind.Slice,
                GraphOp.Matmul => StepKind.Matmul,
                GraphOp.FunctionalLinear => StepKind.FunctionalLinear,
                GraphOp.Layer => StepKind.Layer,
                GraphOp.Pad or GraphOp.Interpolate or GraphOp.GeluTanh or GraphOp.PixelShuffle => StepKind.Function,
                GraphOp.TensorFunction => StepKind.Function,
                GraphOp.Activation => StepKind.Activation,
                GraphOp.Dropout2d => StepKind.Dropout2d,
                GraphOp.CrossAttention => StepKind.CrossAttention,
                GraphOp.AttentionWeights => StepKind.AttentionWeights,
                _ => StepKind.Add,
            },
        };

        /// <summary>A value's name: its module's path in Pascal case (<c>Block1Conv</c>), or its op's.</summary>
        static string Name(GraphNode last, List<int> members, IReadOnlyList<GraphNode> nodes)
        {
            // An attention's weights are named after it: AttentionWeights beside Attention.
            if (last.Op == GraphOp.AttentionWeights) return Pascal(last.Module) + "Weights";
            // A functional activation is named after its kernel: Silu, LeakyRelu.
            if (last.Op == GraphOp.Activation && last.Module.Length == 0) return last.Arguments[0];
            // A tensor method is named after it: Sum, Exp.
            if (last.Op == GraphOp.TensorFunction) return last.Arguments[0];
            var named = members.Select(m => nodes[m]).LastOrDefault(n => n.Module.Length > 0);
            var basis = named?.Module ?? "";
            return basis.Length == 0 ? last.Op.ToString() : Pascal(basis);
        }

        /// <summary>A registry path in Pascal case: <c>block1.conv</c> is <c>Block1Conv</c>.</summary>
        public static string Pascal(string path) =>
            string.Concat(path.Split('.', '_').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));

        /// <summary>The emitted Plan's and Buffers' own members that a value's <c>Shape</c>, buffer or gradient name could hit.</summary>
        static readonly string[] ReservedNames = { "Output", "Inputs", "Needs", "Backward", "Released", "Slot", "View", "Indices" };

        static string UniqueName(string name, HashSet<string> used)
        {
            if (name.Length == 0 || !char.IsLetter(name[0])) name = "Value" + name;
            var unique = name;
            for (int i = 2; !used.Add(unique); i++) unique = name + i;
            return unique;
        }
    }
}
