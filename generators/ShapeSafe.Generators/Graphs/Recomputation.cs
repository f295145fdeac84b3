using System.Collections.Generic;
using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// Recomputation (<c>CompileOptions.Recompute</c>), AOTAutograd's min-cut partitioner: of the values the backward
    /// reads, those an element-wise step (or a dropout, with the mask it drew) makes are recomputed there instead of
    /// saved from the forward when that lowers the bytes saved, as the minimum cut of the graph's values chooses
    /// (<see cref="ChooseRecomputed"/>). Each element-wise step of the forward runs at most once more, in the
    /// backward, on the same operands with the same kernel, so the results are bit for bit those without
    /// recomputation.
    /// </summary>
    /// <remarks>
    /// The option is read at run time, so the plan holds both layouts: the saving one (<see cref="Buffers"/>) and the
    /// recomputing one (<see cref="RecomputingBuffers"/>), where a recomputed value's forward buffer ends with its
    /// last forward reader and a second buffer holds it from its recomputation to its last backward reader.
    /// </remarks>
    internal sealed partial class GraphPlanner
    {
        readonly Dictionary<PlannedValue, (int At, int Last, string Name)> _recomputed = new Dictionary<PlannedValue, (int, int, string)>();

        /// <summary>The values the backward recomputes when the graph recomputes, in forward order.</summary>
        public List<PlannedValue> Recomputed { get; } = new List<PlannedValue>();

        /// <summary>The buffers when the graph recomputes: <see cref="Buffers"/> with other lifetimes and slots, and one more per recomputed value.</summary>
        public List<PlannedBuffer> RecomputingBuffers { get; } = new List<PlannedBuffer>();

        /// <summary>How many slots the recomputing layout has.</summary>
        public int RecomputingSlotCount { get; private set; }

        public bool IsRecomputed(PlannedValue value) => _recomputed.ContainsKey(value);

        /// <summary>The buffer a recomputed value is read from in the backward.</summary>
        public string RecomputedName(PlannedValue value) => _recomputed[value].Name;

        /// <summary>The backward time at which a recomputed value is computed again (before that step's backward).</summary>
        public int RecomputedAt(PlannedValue value) => _recomputed[value].At;

        /// <summary>
        /// The steps recomputed: element-wise ops, and a dropout, whose mask the buffer set keeps for its backward,
        /// so that it is multiplied in again and never drawn again.
        /// </summary>
        static bool IsElementwise(StepKind kind) => kind is StepKind.Relu or StepKind.Sigmoid or StepKind.Tanh or StepKind.Gelu or StepKind.Dropout
            or StepKind.Activation or StepKind.Dropout2d
            or StepKind.Add or StepKind.Sub or StepKind.Mul or StepKind.Div or StepKind.Neg
            or StepKind.AddScalar or StepKind.SubScalar or StepKind.RsubScalar or StepKind.MulScalar or StepKind.DivScalar or StepKind.RdivScalar;

        void PlanRecomputation()
        {
            // The backward times at which each buffer value is read: by a step that saves its inputs, or its output.
            var reads = new Dictionary<PlannedValue, List<int>>();
            void Read(PlannedValue value, int step)
            {
                if (value.Home != Home.Arena) return;
                if (!reads.TryGetValue(value, out var times)) reads[value] = times = new List<int>();
                times.Add(BackwardTime(step));
            }
            foreach (var step in Steps)
            {
                if (step.SavesInput) foreach (var input in step.Inputs) Read(input, step.Index);
                if (step.SavesOutput) Read(step.Output, step.Index);
            }
            var chosen = ChooseRecomputed(reads);
            if (chosen.Count == 0) return;
            Recomputed.AddRange(Values.Where(chosen.Contains));

            // When and until when: a value is recomputed before its first backward reader, or before the first
            // recomputation that reads it, and lives to the last of either. Readers come later in the forward, so
            // they are settled first.
            var names = new HashSet<string>(Buffers.Select(b => b.Name));
            var times = new Dictionary<PlannedValue, (int At, int Last)>();
            foreach (var value in Enumerable.Reverse(Recomputed))
            {
                var uses = reads.TryGetValue(value, out var r) ? new List<int>(r) : new List<int>();
                foreach (var reader in value.Consumers.Where(c => chosen.Contains(Steps[c].Output)))
                    uses.Add(times[Steps[reader].Output].At);
                times[value] = (uses.Min(), uses.Max());
            }
            foreach (var value in Recomputed)
            {
                var name = value.Name + "Recomputed";
                for (int i = 2; !names.Add(name); i++) name = value.Name + "Recomputed" + i;
                _recomputed[value] = (times[value].At, times[value].Last, name);
            }

            // The recomputing layout: each recomputed value's forward buffer ends with its last forward reader, a
            // second buffer holds it in the backward, and a saved value a recomputation reads lives until then.
            var copies = new Dictionary<PlannedBuffer, PlannedBuffer>();
            foreach (var buffer in Buffers)
                copies[buffer] = new PlannedBuffer(buffer.Name, buffer.Shape, buffer.First, buffer.Last, buffer.Purpose) { Strided = buffer.Strided };
            foreach (var buffer in Buffers)
                if (buffer.ViewOf is not null) copies[buffer].ViewOf = copies[buffer.ViewOf];
            RecomputingBuffers.AddRange(Buffers.Select(b => copies[b]));
            var byName = RecomputingBuffers.ToDictionary(b => b.Name);
            foreach (var value in Recomputed)
            {
                var buffer = byName[value.Name];
                buffer.Last = value.Consumers.DefaultIfEmpty(value.Producer).Max();
                var (at, last, name) = _recomputed[value];
                RecomputingBuffers.Add(new PlannedBuffer(name, value.Name + "Shape", at, last,
                    "the value of " + Steps[value.Producer].Nodes[0].Source + ", recomputed in the backward"));
                foreach (var input in Steps[value.Producer].Inputs.Where(i => i.Home == Home.Arena && !chosen.Contains(i)))
                    byName[input.Name].Last = System.Math.Max(byName[input.Name].Last, at);
            }
            foreach (var view in RecomputingBuffers.Where(b => b.ViewOf is not null))
                view.ViewOf!.Last = System.Math.Max(view.ViewOf.Last, view.Last);
            RecomputingSlotCount = AssignSlots(RecomputingBuffers);
        }
    }
}
