using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    // A decoder layer's composite step: a plan per input shape (Plan.{Name}Plan) that checks the target's, memory's
    // and masks' shapes as the layer's two attentions do, a tape per buffer set (Buffers.{Name}State), one forward
    // call that runs the bound layer's own Forward with this call's masks and hints, and one backward call that runs
    // its tape for the target's, the memory's and every parameter's gradient.
    internal sealed partial class GraphEmitter
    {
        const string DecoderStateType = "global::ShapeSafe.CompiledGraphs.DecoderLayerState";

        /// <summary>The decoder step's masks as named arguments (<c>tgtMask: ..., memoryMask: null</c>), each one's operand read by <paramref name="operand"/>.</summary>
        static string DecoderMaskArguments(PlannedStep step, System.Func<PlannedValue, string> operand)
        {
            var roles = step.Nodes[0].Arguments.ToList();
            return string.Join(", ", ForwardCapture.DecoderMasks.Select(mask =>
                mask + ": " + (roles.IndexOf(mask) is int at && at >= 0 ? operand(step.Inputs[2 + at]) : "null")));
        }

        static string DecoderHintArguments(PlannedStep step) =>
            string.Join(", ", ForwardCapture.DecoderHints.Select(hint => hint + ": " + (step.Nodes[0].Arguments.Contains(hint) ? "true" : "false")));

        void DecoderPlanStep(PlannedStep step, string input, string module)
        {
            var name = step.Output.Name;
            var parameters = step.ParameterMembers.Count.ToString(CultureInfo.InvariantCulture);
            _w.Line("// The masks' shapes are checked as the layer's attentions check them; their values are read per call.");
            _w.Line(name + "Plan = " + Ops + ".PlanTransformerDecoderLayer(" + input + ", " + step.Inputs[1].Name + "Shape, " + module + ",");
            _w.Line("    " + DecoderMaskArguments(step, v => v.Name + "Shape") + ",");
            _w.Line("    " + DecoderHintArguments(step) + ", parameters: " + parameters + ");");
            _w.Line(name + "Shape = " + name + "Plan.OutputSizes;");
        }

        void DecoderForwardStep(PlannedStep step, string input, string output, bool recompute)
        {
            var name = step.Output.Name;
            _w.Line(Ops + ".TransformerDecoderLayer(plan." + name + "Plan, " + Module(step.Module) + ", " + input + ", " + Expr(step.Inputs[1], recompute) + ",");
            _w.Line("    " + DecoderMaskArguments(step, v => Expr(v, recompute)) + ",");
            _w.Line("    " + DecoderHintArguments(step) + ", " + output + ", b." + name + "State, record);");
        }

        void DecoderBackwardStep(PlannedStep step, string gradOutput, HashSet<string> seenParameters)
        {
            var name = step.Output.Name;
            var (tgt, accumulateTgt) = RecurrentInputGradient(step, 0);
            var (memory, accumulateMemory) = RecurrentInputGradient(step, 1);
            var gradients = step.ParameterMembers.Select(member => ParameterGradient(step.Module, member, seenParameters)).ToList();
            string Flag(bool accumulate) => accumulate ? "true" : "false";
            _w.Line(Ops + ".TransformerDecoderLayerBackward(" + Module(step.Module) + ", b." + name + "State, " + gradOutput + ",");
            _w.Line("    " + tgt + ", accumulateTgt: " + Flag(accumulateTgt) + ", " + memory + ", accumulateMemory: " + Flag(accumulateMemory) + ",");
            // One line per module of parameters: the two attentions' (packed projection, output projection), then each linear layer's and norm's.
            var groups = step.ParameterMembers.Select((member, i) => (Module: member.Substring(0, member.IndexOf('.')), Gradient: gradients[i].Target))
                .GroupBy(g => g.Module).ToList();
            for (int i = 0; i < groups.Count; i++)
                _w.Line("    " + string.Join(", ", groups[i].Select(g => g.Gradient)) + (i == groups.Count - 1 ? ");" : ",") + " // " + groups[i].Key);
            foreach (var (_, after) in gradients.Where(p => p.After.Length > 0)) _w.Line(after);
        }

        void DecoderPlanField(PlannedStep step) =>
            _w.Line("public readonly " + LayerPlanType + " " + step.Output.Name + "Plan;");

        void DecoderStateField(PlannedStep step)
        {
            _w.Line("/// <summary>" + Xml(step.Output.Name) + "'s tape, for its backward.</summary>");
            _w.Line("public readonly " + DecoderStateType + " " + step.Output.Name + "State = new " + DecoderStateType + "();");
        }
    }
}
