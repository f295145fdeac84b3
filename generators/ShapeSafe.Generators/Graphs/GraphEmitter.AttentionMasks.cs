using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    // The attention steps given masks as Forward inputs: the plan checks the masks' shapes as the eager layer does,
    // and the forward kernel takes this call's masks, which it makes into the additive mask it keeps for the backward.
    internal sealed partial class GraphEmitter
    {
        /// <summary>Whether an attention step is given masks it applies (not a causal attention's, whose values are not read).</summary>
        static bool IsMaskedAttention(PlannedStep step) => step.IsAttention && step.Nodes[0].Arguments.Count > 0;

        /// <summary>The operand of an attention step in <paramref name="role"/>, or null when the call passes none.</summary>
        static PlannedValue? MaskOperand(PlannedStep step, string role)
        {
            int at = step.Nodes[0].Arguments.ToList().IndexOf(role);
            return at < 0 ? null : step.Inputs[at + 1];
        }

        /// <summary>The kernels' names for the masks: the attention's own, or the encoder layer's.</summary>
        static (string AttnMask, string KeyPaddingMask) MaskParameters(PlannedStep step) =>
            step.Kind == StepKind.SelfAttention ? ("attnMask", "keyPaddingMask") : ("srcMask", "srcKeyPaddingMask");

        void MaskedAttentionPlanStep(PlannedStep step, string input, string module)
        {
            var name = step.Output.Name;
            var (attnName, paddingName) = MaskParameters(step);
            string Shape(string role) => MaskOperand(step, role) is { } mask ? mask.Name + "Shape" : "null";
            _w.Line("// The masks' shapes are checked as the eager layer checks them; their values are read per call.");
            _w.Line(name + "Plan = " + Ops + (step.Kind == StepKind.SelfAttention ? ".PlanMaskedSelfAttention(" : ".PlanMaskedTransformerEncoderLayer(") + input + ", " + module
                + ", " + attnName + ": " + Shape(ForwardCapture.AttnMaskRole) + ", " + paddingName + ": " + Shape(ForwardCapture.KeyPaddingMaskRole) + ");");
            _w.Line(name + "Shape = " + name + "Plan.OutputSizes;");
        }

        void MaskedAttentionForwardStep(PlannedStep step, string input, string output)
        {
            var name = step.Output.Name;
            var (attnName, paddingName) = MaskParameters(step);
            string Data(string role) => MaskOperand(step, role) is { } mask ? Expr(mask, backward: false) : "null";
            _w.Line(Ops + ".Masked" + step.Kind + "(plan." + name + "Plan, " + Module(step.Module) + ", " + input + ", "
                + attnName + ": " + Data(ForwardCapture.AttnMaskRole) + ", " + paddingName + ": " + Data(ForwardCapture.KeyPaddingMaskRole) + ", "
                + output + ", b." + name + "State);");
        }
    }
}
