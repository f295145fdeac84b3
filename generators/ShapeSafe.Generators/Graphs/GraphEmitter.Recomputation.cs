using System.Collections.Generic;
using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// What recomputation (<see cref="GraphPlanner.Recomputed"/>) adds to the generated code: the recomputing steps in
    /// the backward, run only when the graph recomputes; the buffer set's second layout; and the memory report.
    /// </summary>
    internal sealed partial class GraphEmitter
    {
        const string Lifetime = "global::ShapeSafe.CompiledGraphs.BufferLifetime";

        bool HasRecomputation => _plan!.Recomputed.Count > 0;

        /// <summary>The values recomputed before <paramref name="step"/>'s backward, each with its forward kernel on its operands as the backward has them.</summary>
        void EmitRecomputation(PlannedStep step)
        {
            var plan = _plan!;
            var due = plan.Recomputed.Where(v => plan.RecomputedAt(v) == plan.BackwardTime(step.Index)).ToList();
            if (due.Count == 0) return;
            _w.Line();
            _w.Line("// Recomputed for the backward rather than kept since the forward (CompileOptions.Recompute):");
            using (_w.Block("if (plan.Recomputes)"))
            {
                foreach (var value in due)
                {
                    Comment(plan.Steps[value.Producer]);
                    ForwardStep(plan.Steps[value.Producer], recompute: true);
                }
            }
        }

        /// <summary>The memory report of the compiled class: a plan of the given shapes, not cached, measured.</summary>
        void EmitMemoryReport()
        {
            var shapes = _forward.Parameters.Select(p => p + "Shape").ToList();
            _w.Line("/// <summary>");
            _w.Line("/// The memory of the buffer set for " + (shapes.Count == 1 ? "an input" : "inputs") + " of " + string.Join(" and ", shapes.Select(s => "<paramref name=\"" + s + "\"/>"))
                + ", laid out for this graph's <see cref=\"ShapeSafe.NN.CompileOptions.Recompute\"/>:");
            _w.Line("/// the bytes saved for the backward, the most live at one step, and the arena's.");
            _w.Line("/// </summary>");
            _w.Line("public global::ShapeSafe.NN.CompiledMemoryReport MemoryReport(" + string.Join(", ", shapes.Select(s => "int[] " + s)) + ") =>");
            _w.Line("    new Plan(this, new[] { " + string.Join(", ", shapes) + " }).MemoryReport();");
            _w.Line();
            // The base class's report, for code that holds a CompiledModule: one graph whatever the mode, or, for a
            // variant, the graph of its path, named.
            _w.Line(_isVariant
                ? "/// <summary>This graph's report (<paramref name=\"training\"/> picked it), named <c>" + Xml(_variantName) + "</c>.</summary>"
                : "/// <summary>This graph's report: the same in both modes, so <paramref name=\"training\"/> changes nothing.</summary>");
            _w.Line("public override global::ShapeSafe.NN.CompiledMemoryReport MemoryReport(bool training, params int[][] inputShapes) =>");
            _w.Line("    new Plan(this, CheckShapes(inputShapes, " + shapes.Count + ")).MemoryReport()"
                + (_isVariant ? " with { Variant = " + Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(_variantName, true) + " }" : "") + ";");
        }

        /// <summary>The plan's choice of layout, when there is a choice.</summary>
        void EmitRecomputesField()
        {
            if (!HasRecomputation) return;
            _w.Line("/// <summary>Whether the backward recomputes " + string.Join(", ", _plan!.Recomputed.Select(v => v.Name))
                + " (CompileOptions.Recompute), which lays the buffers out differently.</summary>");
            _w.Line("/// <remarks>The minimum cut of the graph: saving, the backward keeps " + SavedList(_plan.SavedWhenSaving)
                + "; recomputing, " + SavedList(_plan.SavedWhenRecomputing) + ".</remarks>");
            _w.Line("public readonly bool Recomputes;");
        }

        /// <summary>Saved values and their bytes, from their symbolic shapes: <c>Fc1, Gelu (64*B bytes)</c>.</summary>
        string SavedList(List<PlannedValue> saved) => saved.Count == 0
            ? "nothing"
            : string.Join(", ", saved.Select(v => v.Name)) + " (" + GraphPlanner.FormatBytes(_plan!.SavedBytes(saved)) + " bytes)";

        void EmitRecomputesAssignment()
        {
            if (HasRecomputation) _w.Line("Recomputes = graph.Recomputes;");
        }

        /// <summary>The plan's layout for the memory report: every buffer but the views, with its lifetime and slot.</summary>
        void EmitLifetimes()
        {
            var plan = _plan!;
            _w.Line("/// <inheritdoc/>");
            _w.Line("protected override int ForwardSteps => " + plan.Steps.Count + ";");
            _w.Line();
            _w.Line("/// <inheritdoc/>");
            using (_w.Block("protected override " + Lifetime + "[] Lifetimes()"))
            {
                if (HasRecomputation)
                {
                    using (_w.Block("if (Recomputes)"))
                        EmitLifetimeTable(plan.RecomputingBuffers);
                }
                EmitLifetimeTable(plan.Buffers);
            }
        }

        void EmitLifetimeTable(IEnumerable<PlannedBuffer> buffers)
        {
            _w.Line("return new " + Lifetime + "[]");
            _w.Line("{");
            foreach (var buffer in buffers.Where(b => b.ViewOf is null))
                _w.Line("    new(" + buffer.Shape + ", " + buffer.First + ", " + buffer.Last + ", " + buffer.Slot + "), // " + buffer.Name);
            _w.Line("};");
        }

        /// <summary>A buffer's slot and lifetime for its doc comment, the recomputing layout's too where it differs.</summary>
        string SlotAndSteps(PlannedBuffer buffer)
        {
            var text = "Slot " + buffer.Slot + ", steps " + buffer.First + "-" + buffer.Last;
            if (!HasRecomputation) return text;
            var other = _plan!.RecomputingBuffers.First(b => b.Name == buffer.Name);
            return other.Slot == buffer.Slot && other.First == buffer.First && other.Last == buffer.Last
                ? text
                : text + " (recomputing: slot " + other.Slot + ", steps " + other.First + "-" + other.Last + ")";
        }

        /// <summary>The fields holding recomputed values in the backward.</summary>
        void EmitRecomputedFields()
        {
            var plan = _plan!;
            foreach (var value in plan.Recomputed)
            {
                var name = plan.RecomputedName(value);
                var buffer = plan.RecomputingBuffers.First(b => b.Name == name);
                _w.Line("/// <summary>" + Xml(value.Name) + " as the backward reads it: recomputed there into slot " + buffer.Slot + ", steps " + buffer.First + "-" + buffer.Last
                    + ", when the graph recomputes; else " + Xml(value.Name) + " itself.</summary>");
                _w.Line("public readonly " + TensorType + " " + name + ";");
            }
        }

        /// <summary>The buffer set's constructor's slots and buffers: one layout, or the recomputing one and the saving one.</summary>
        void EmitLayouts()
        {
            var plan = _plan!;
            if (!HasRecomputation)
            {
                EmitLayout(plan.Buffers, plan.SlotCount);
                return;
            }
            using (_w.Block("if (plan.Recomputes)"))
                EmitLayout(plan.RecomputingBuffers, plan.RecomputingSlotCount);
            using (_w.Block("else"))
            {
                EmitLayout(plan.Buffers, plan.SlotCount);
                foreach (var value in plan.Recomputed)
                    _w.Line(plan.RecomputedName(value) + " = " + value.Name + ";");
            }
        }

        void EmitLayout(List<PlannedBuffer> buffers, int slotCount)
        {
            for (int slot = 0; slot < slotCount; slot++)
            {
                var shapes = buffers.Where(x => x.Slot == slot && x.ViewOf is null).Select(x => "plan." + x.Shape);
                _w.Line("var slot" + slot + " = Slot(" + string.Join(", ", shapes) + ");");
            }
            foreach (var buffer in buffers)
                _w.Line(buffer.Name + " = " + (buffer.Strided
                    ? Ops + ".Strided(slot" + buffer.Slot + ", plan." + buffer.Name + "View)"
                    : "View(slot" + buffer.Slot + ", plan." + buffer.Shape + ")") + ";");
        }

        /// <summary>The buffer set's summary: its buffers and slots, in the recomputing layout too.</summary>
        string LayoutSummary()
        {
            var plan = _plan!;
            var text = plan.Buffers.Count + " buffers in " + plan.SlotCount + " slots";
            return HasRecomputation
                ? text + " (" + plan.RecomputingBuffers.Count + " in " + plan.RecomputingSlotCount + " when the graph recomputes)"
                : text;
        }
    }
}
