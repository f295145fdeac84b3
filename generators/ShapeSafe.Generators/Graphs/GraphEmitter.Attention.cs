using System.Collections.Generic;
using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    // The attention layers' composite steps: a plan per input shape (Plan.{Name}Layer), a state per buffer set
    // (Buffers.{Name}State) holding the layer's intermediates, and one forward and one backward kernel call.
    internal sealed partial class GraphEmitter
    {
        static string AttentionPlanType(PlannedStep step) =>
            "global::ShapeSafe.CompiledGraphs." + step.Kind switch { StepKind.SelfAttention => "SelfAttentionPlan", StepKind.CrossAttention => "CrossAttentionPlan", _ => "EncoderLayerPlan" };

        static string AttentionStateType(PlannedStep step) =>
            "global::ShapeSafe.CompiledGraphs." + step.Kind switch { StepKind.SelfAttention => "SelfAttentionState", StepKind.CrossAttention => "CrossAttentionState", _ => "EncoderLayerState" };

        void AttentionPlanStep(PlannedStep step, string input, string module)
        {
            if (step.Kind == StepKind.CrossAttention)
            {
                CrossAttentionPlanStep(step, module);
                return;
            }
            if (IsMaskedAttention(step))
            {
                MaskedAttentionPlanStep(step, input, module);
                return;
            }
            var name = step.Output.Name;
            // A causal attention's mask is only checked: its shape is planned, its values are never read.
            var mask = step.Inputs.Count == 2 ? ", causalMask: " + step.Inputs[1].Name + "Shape" : "";
            _w.Line(name + "Plan = " + Ops + (step.Kind == StepKind.SelfAttention ? ".PlanSelfAttention(" : ".PlanTransformerEncoderLayer(") + input + ", " + module + mask + ");");
            _w.Line(name + "Shape = " + name + "Plan.OutputSizes;");
        }

        void AttentionForwardStep(PlannedStep step, string input, string output)
        {
            if (step.Kind == StepKind.CrossAttention)
            {
                CrossAttentionForwardStep(step, output);
                return;
            }
            if (IsMaskedAttention(step))
            {
                MaskedAttentionForwardStep(step, input, output);
                return;
            }
            var name = step.Output.Name;
            _w.Line(Ops + "." + step.Kind + "(plan." + name + "Plan, " + Module(step.Module) + ", " + input + ", " + output + ", b." + name + "State);");
        }

        void AttentionBackwardStep(PlannedStep step, string gradOutput, string input, HashSet<string> seenParameters)
        {
            if (step.Kind == StepKind.CrossAttention)
            {
                CrossAttentionBackwardStep(step, gradOutput, seenParameters);
                return;
            }
            var name = step.Output.Name;
            var (target, accumulate) = AttentionInputGradient(step);
            var gradients = new List<string>();
            var afterwards = new List<string>();
            foreach (var member in step.ParameterMembers)
            {
                var (gradient, gradientAfter) = ParameterGradient(step.Module, member, seenParameters);
                gradients.Add(gradient);
                afterwards.Add(gradientAfter);
            }
            _w.Line(Ops + "." + step.Kind + "Backward(plan." + name + "Plan, " + Module(step.Module) + ", b." + name + "State, " + gradOutput + ", " + input + ", " + target + ", "
                + (accumulate ? "accumulate: true" : "accumulate: false") + ",");
            // One line per module of parameters: the attention's four, then each linear layer's and norm's two.
            var groups = step.ParameterMembers.Select((member, i) => (Group: member.Contains("SelfAttn") || step.Kind == StepKind.SelfAttention ? "SelfAttn" : member.Split('.')[0], Gradient: gradients[i]))
                .GroupBy(p => p.Group).Select(g => string.Join(", ", g.Select(p => p.Gradient))).ToList();
            for (int i = 0; i < groups.Count; i++)
                _w.Line("    " + groups[i] + (i == groups.Count - 1 ? ");" : ","));
            foreach (var line in afterwards.Where(l => l.Length > 0)) _w.Line(line);
        }

        /// <summary>
        /// The input's gradient for a composite attention step and whether the kernel adds to it: these kernels add
        /// their input's gradient to one that arrived first in eager autograd's order of summing, so they take no
        /// partial buffer.
        /// </summary>
        (string Target, bool Accumulate) AttentionInputGradient(PlannedStep step)
        {
            var value = step.Inputs[0];
            var needed = GradientNeeded(value);
            if (needed == "false") return ("null", false);
            bool accumulate = _plan!.Accumulates(step, 0);
            if (value.Home == Home.Input)
            {
                var local = LeafGradient(value);
                if (!accumulate) _w.Line(local + " = " + LeafNeed(value) + " ? " + Ops + ".NewGradient(plan." + value.Name + "Shape) : null;");
                return (local, accumulate);
            }
            var gradient = "b." + GraphPlanner.GradName(value);
            return (needed == "true" ? gradient : "(" + needed + " ? " + gradient + " : null)", accumulate);
        }
    }
}
