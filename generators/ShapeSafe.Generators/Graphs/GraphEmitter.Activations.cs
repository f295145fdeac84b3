using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    // The element-wise activations of ForwardCapture.Activations.cs, one kernel call forward (Ops.Silu(x, y)) and one
    // backward from the saved input (Ops.SiluBackward(g, x, gx)), their options as float literals between them; and
    // channel dropout, whose mask the buffer set keeps for its backward and for a recomputation.
    internal sealed partial class GraphEmitter
    {
        /// <summary>The options after the kernel's name, as arguments: <c>, 2f, 10f</c> for a Softplus.</summary>
        static string ActivationOptions(PlannedStep step) =>
            string.Concat(step.Nodes[0].Arguments.Skip(1).Select(a => ", " + a));

        void ActivationForwardStep(PlannedStep step, string input, string output) =>
            _w.Line(Ops + "." + step.Nodes[0].Arguments[0] + "(" + input + ActivationOptions(step) + ", " + output + ");");

        static string ActivationBackwardCall(PlannedStep step, string gradOutput, string input, string target) =>
            Ops + "." + step.Nodes[0].Arguments[0] + "Backward(" + gradOutput + ", " + input + ActivationOptions(step) + ", " + target + ");";

        void Dropout2dForwardStep(PlannedStep step, string input, string output, bool recompute)
        {
            var name = step.Output.Name;
            // Run again in the backward, it multiplies by the mask the forward drew.
            _w.Line(recompute
                ? Ops + ".Dropout2dWithMask(b." + name + "Masked, " + input + ", b." + name + "Mask, " + output + ");"
                : "b." + name + "Masked = " + Ops + ".Dropout2d(" + Module(step.Module) + ", " + input + ", " + output + ", b." + name + "Mask);");
        }
    }
}
