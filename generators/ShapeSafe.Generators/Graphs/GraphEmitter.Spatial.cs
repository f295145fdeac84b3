using System.Collections.Generic;
using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    // The compiled layers' composite steps (AvgPool2d, AdaptiveAvgPool2d, GroupNorm...): a plan per input shape
    // (Plan.{Name}Plan), a tape per buffer set (Buffers.{Name}State), one forward and one backward kernel call over
    // the bound eager layer.
    internal sealed partial class GraphEmitter
    {
        const string LayerPlanType = "global::ShapeSafe.CompiledGraphs.LayerPlan";
        const string LayerStateType = "global::ShapeSafe.CompiledGraphs.LayerState";

        static int LayerParameterCount(PlannedStep step) => step.Nodes[0].Arguments.Count - 1;

        void LayerPlanStep(PlannedStep step, string input, string module)
        {
            var name = step.Output.Name;
            _w.Line(name + "Plan = " + Ops + ".PlanLayer(" + input + ", " + module + ", parameters: "
                + LayerParameterCount(step).ToString(System.Globalization.CultureInfo.InvariantCulture) + ");");
            _w.Line(name + "Shape = " + name + "Plan.OutputSizes;");
        }

        void LayerForwardStep(PlannedStep step, string input, string output)
        {
            var name = step.Output.Name;
            _w.Line(Ops + ".Layer(plan." + name + "Plan, " + Module(step.Module) + ", " + input + ", " + output + ", b." + name + "State, record);");
        }

        void LayerBackwardStep(PlannedStep step, string gradOutput, HashSet<string> seenParameters)
        {
            var name = step.Output.Name;
            var (target, accumulate) = RecurrentInputGradient(step, 0);
            var gradients = new List<string>();
            var afterwards = new List<string>();
            foreach (var member in step.ParameterMembers)
            {
                var (gradient, after) = ParameterGradient(step.Module, member, seenParameters);
                gradients.Add(gradient);
                afterwards.Add(after);
            }
            var parameters = gradients.Count == 0 ? "" : ", " + string.Join(", ", gradients);
            var comment = gradients.Count == 0 ? "" : " // " + string.Join(", ", step.ParameterMembers.Select(m => m.ToLowerInvariant()));
            _w.Line(Ops + ".LayerBackward(" + Module(step.Module) + ", b." + name + "State, " + gradOutput + ", " + target
                + ", accumulateInput: " + (accumulate ? "true" : "false") + parameters + ");" + comment);
            foreach (var line in afterwards.Where(l => l.Length > 0)) _w.Line(line);
        }

        /// <summary>The eager function a function step runs, as a lambda: <c>static x => F.Pad(x, pad: new[] { 1, 1 }, mode: "reflect")</c>.</summary>
        static string FunctionLambda(PlannedStep step)
        {
            var node = step.Nodes[0];
            if (node.Op == Model.GraphOp.TensorFunction) return "static x => " + node.Arguments[1];
            var rest = node.Arguments[0].Length == 0 ? "" : ", " + node.Arguments[0];
            // GELU's tanh form is F.Gelu with its approximate.
            var function = node.Op == Model.GraphOp.GeluTanh ? "Gelu" : node.Op.ToString();
            return "static x => global::ShapeSafe.NN.F." + function + "(x" + rest + ")";
        }

        void FunctionPlanStep(PlannedStep step, string input)
        {
            var name = step.Output.Name;
            _w.Line(name + "Plan = " + Ops + ".PlanFunction(" + input + ", " + FunctionLambda(step) + ");");
            _w.Line(name + "Shape = " + name + "Plan.OutputSizes;");
        }

        void FunctionForwardStep(PlannedStep step, string input, string output)
        {
            var name = step.Output.Name;
            _w.Line(Ops + ".Function(plan." + name + "Plan, " + FunctionLambda(step) + ", " + input + ", " + output + ", b." + name + "State, record);");
        }

        void FunctionBackwardStep(PlannedStep step, string gradOutput)
        {
            var (target, accumulate) = RecurrentInputGradient(step, 0);
            if (target == "null") return;
            _w.Line(Ops + ".FunctionBackward(b." + step.Output.Name + "State, " + gradOutput + ", " + target + ", accumulateInput: " + (accumulate ? "true" : "false") + ");");
        }
    }
}
