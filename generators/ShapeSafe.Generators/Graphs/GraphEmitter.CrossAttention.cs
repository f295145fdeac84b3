using System.Collections.Generic;
using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    // A cross-attention's step: the plan checks the query's, key's and value's shapes (and the masks') as the eager layer
    // does, the forward kernel reads all three, and the backward writes the three inputs' gradients (a key that is the
    // value gets both of its gradients) and every projection's.
    internal sealed partial class GraphEmitter
    {
        void CrossAttentionPlanStep(PlannedStep step, string module)
        {
            var name = step.Output.Name;
            var shapes = string.Join(", ", step.Inputs.Take(3).Select(v => v.Name + "Shape"));
            string masks = "";
            if (IsCausalCrossAttention(step))
            {
                _w.Line("// A causal attention's mask is only checked: its rank is planned, its values are never read.");
                masks = ", causalMask: " + step.Inputs[3].Name + "Shape";
            }
            else if (step.Inputs.Count > 3)
            {
                string Shape(string role) => MaskOperand(step, role, 3) is { } mask ? mask.Name + "Shape" : "null";
                _w.Line("// The masks' shapes are checked as the eager layer checks them; their values are read per call.");
                masks = ", attnMask: " + Shape(ForwardCapture.AttnMaskRole) + ", keyPaddingMask: " + Shape(ForwardCapture.KeyPaddingMaskRole);
            }
            var arguments = step.Nodes[0].Arguments;
            if (arguments.Contains(ForwardCapture.AveragedWeights) || arguments.Contains(ForwardCapture.HeadWeights))
            {
                _w.Line("// The eager layer's weights path (needWeights: true): the query scaled before the product, the weights kept.");
                masks += ", needWeights: true, averageAttnWeights: " + (arguments.Contains(ForwardCapture.AveragedWeights) ? "true" : "false");
            }
            _w.Line(name + "Plan = " + Ops + ".PlanCrossAttention(" + shapes + ", " + module + masks + ");");
            _w.Line(name + "Shape = " + name + "Plan.OutputSizes;");
        }

        void CrossAttentionForwardStep(PlannedStep step, string output)
        {
            var name = step.Output.Name;
            var inputs = string.Join(", ", step.Inputs.Take(3).Select(v => Expr(v, backward: false)));
            string Data(string role) => !IsCausalCrossAttention(step) && MaskOperand(step, role, 3) is { } mask ? Expr(mask, backward: false) : "null";
            _w.Line(Ops + ".CrossAttention(plan." + name + "Plan, " + Module(step.Module) + ", " + inputs + ", attnMask: " + Data(ForwardCapture.AttnMaskRole)
                + ", keyPaddingMask: " + Data(ForwardCapture.KeyPaddingMaskRole) + ", " + output + ", b." + name + "State);");
        }

        void CrossAttentionBackwardStep(PlannedStep step, string gradOutput, HashSet<string> seenParameters)
        {
            var name = step.Output.Name;
            // The query's, key's and value's gradient targets: one per distinct value, made (or found) once.
            var targets = new Dictionary<PlannedValue, (string Target, bool Accumulate)>();
            var inputs = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                var value = step.Inputs[i];
                if (!targets.TryGetValue(value, out var target))
                {
                    target = CrossAttentionInputGradient(step, i);
                    targets[value] = target;
                }
                inputs.Add(target.Target + ", " + (i == 0 ? "accumulateQuery: " : i == 1 ? "accumulateKey: " : "accumulateValue: ") + (target.Accumulate ? "true" : "false"));
            }
            var gradients = step.ParameterMembers.Select(member => ParameterGradient(step.Module, member, seenParameters)).ToList();
            _w.Line(Ops + ".CrossAttentionBackward(plan." + name + "Plan, " + Module(step.Module) + ", b." + name + "State, " + gradOutput + ", "
                + string.Join(", ", step.Inputs.Take(3).Select(v => Expr(v, backward: true))) + ",");
            _w.Line("    " + string.Join(", ", inputs) + ",");
            // The in-projections (packed, or q/k/v of a kdim/vdim layer: the other form's are null), then the out-projection.
            _w.Line("    " + string.Join(", ", gradients.Take(5).Select(p => p.Target)) + ",");
            _w.Line("    " + string.Join(", ", gradients.Skip(5).Select(p => p.Target)) + ");");
            foreach (var (_, after) in gradients.Where(p => p.After.Length > 0)) _w.Line(after);
        }

        /// <summary>
        /// Operand <paramref name="i"/>'s gradient target and whether the kernel adds to it: a value read as two of the
        /// operands (a key that is the value) gets one target, added to by the kernel for its second read, and adds its
        /// first when another path reached it first in eager autograd's order (the first of its operands counts).
        /// </summary>
        (string Target, bool Accumulate) CrossAttentionInputGradient(PlannedStep step, int i)
        {
            var value = step.Inputs[i];
            var needed = GradientNeeded(value);
            if (needed == "false") return ("null", false);
            bool accumulate = _plan!.Accumulates(step, i);
            if (value.Home == Home.Input)
            {
                var local = GradientLocal(value.Node);
                if (!accumulate) _w.Line(local + " = " + Need(value.Node) + " ? " + Ops + ".NewGradient(plan." + value.Name + "Shape) : null;");
                return (local, accumulate);
            }
            var gradient = "b." + GraphPlanner.GradName(value);
            return (needed == "true" ? gradient : "(" + needed + " ? " + gradient + " : null)", accumulate);
        }

        /// <summary>Whether a cross-attention is causal: given a mask without a role (passed with <c>isCausal: true</c>, its values never read).</summary>
        static bool IsCausalCrossAttention(PlannedStep step) => step.Inputs.Count > 3
            && !step.Nodes[0].Arguments.Contains(ForwardCapture.AttnMaskRole) && !step.Nodes[0].Arguments.Contains(ForwardCapture.KeyPaddingMaskRole);

        /// <summary>An attention's weights: their shape is the attention plan's.</summary>
        void AttentionWeightsPlanStep(PlannedStep step) =>
            _w.Line(step.Output.Name + "Shape = " + step.Inputs[0].Name + "Plan.WeightsSizes;");

        /// <summary>The weights the attention step kept, averaged over the heads or per head.</summary>
        void AttentionWeightsForwardStep(PlannedStep step, string output)
        {
            var attention = step.Inputs[0].Name;
            _w.Line(Ops + ".AttentionWeights(plan." + attention + "Plan, b." + attention + "State, " + output + ");");
        }

        /// <summary>The weights' gradient, kept in the attention's state for its backward (which runs next in reverse order).</summary>
        void AttentionWeightsBackwardStep(PlannedStep step, string gradOutput)
        {
            var attention = step.Inputs[0].Name;
            _w.Line(Ops + ".AttentionWeightsBackward(plan." + attention + "Plan, b." + attention + "State, " + gradOutput + ");");
        }

        /// <summary>The mask operand in <paramref name="role"/> of an attention step whose masks follow its first <paramref name="inputs"/> operands, or null.</summary>
        static PlannedValue? MaskOperand(PlannedStep step, string role, int inputs)
        {
            int at = step.Nodes[0].Arguments.ToList().IndexOf(role);
            return at < 0 ? null : step.Inputs[at + inputs];
        }
    }
}
