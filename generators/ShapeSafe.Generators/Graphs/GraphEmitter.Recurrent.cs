using System.Collections.Generic;
using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    // The recurrent layers' composite steps: a plan per input shape (Plan.{Name}Plan), a state per buffer set
    // (Buffers.{Name}State) holding the layer's tape and final states, one forward and one backward kernel call; a
    // step per final state read; and Select and Narrow, copies through a view plan (Plan.{Name}View).
    internal sealed partial class GraphEmitter
    {
        const string RecurrentPlanType = "global::ShapeSafe.CompiledGraphs.RecurrentPlan";
        const string RecurrentStateType = "global::ShapeSafe.CompiledGraphs.RecurrentState";

        static int RecurrentStates(PlannedStep step) => int.Parse(step.Nodes[0].Arguments[5], System.Globalization.CultureInfo.InvariantCulture);

        void RecurrentPlanStep(PlannedStep step, string input, string module)
        {
            var name = step.Output.Name;
            var a = step.Nodes[0].Arguments;
            int states = RecurrentStates(step);
            var h0 = states >= 1 ? step.Inputs[1].Name + "Shape" : "null";
            var c0 = states == 2 ? step.Inputs[2].Name + "Shape" : "null";
            _w.Line(name + "Plan = " + Ops + ".PlanRecurrent(" + input + ", " + h0 + ", " + c0 + ", " + module
                + ", numLayers: " + a[1] + ", bidirectional: " + a[2] + ", bias: " + a[3] + ", projSize: " + a[4] + ");");
            _w.Line(name + "Shape = " + name + "Plan.OutputSizes;");
        }

        void RecurrentStatePlanStep(PlannedStep step)
        {
            var layer = step.Inputs[0].Name;
            _w.Line(step.Output.Name + "Shape = " + layer + "Plan." + (step.Kind == StepKind.RecurrentHidden ? "HiddenSizes" : "CellSizes!") + ";");
        }

        void SlicePlanStep(PlannedStep step, string input)
        {
            var node = step.Nodes[0];
            var name = step.Output.Name;
            var plan = node.Op == Model.GraphOp.Select ? ".PlanSelect(" : ".PlanNarrow(";
            _w.Line(name + "View = " + Ops + plan + input + ", " + string.Join(", ", node.Arguments) + ");");
            _w.Line(name + "Shape = " + name + "View.Sizes;");
        }

        void RecurrentForwardStep(PlannedStep step, string input, string output, bool recompute)
        {
            var name = step.Output.Name;
            int states = RecurrentStates(step);
            var h0 = states >= 1 ? Expr(step.Inputs[1], recompute) : "null";
            var c0 = states == 2 ? Expr(step.Inputs[2], recompute) : "null";
            _w.Line(Ops + ".Recurrent(plan." + name + "Plan, " + Module(step.Module) + ", " + input + ", " + h0 + ", " + c0 + ", " + output + ", b." + name + "State, record);");
        }

        void RecurrentStateForwardStep(PlannedStep step, string output)
        {
            var kernel = step.Kind == StepKind.RecurrentHidden ? ".RecurrentHidden(" : ".RecurrentCell(";
            _w.Line(Ops + kernel + "b." + step.Inputs[0].Name + "State, " + output + ");");
        }

        void RecurrentStateBackwardStep(PlannedStep step, string gradOutput)
        {
            // The gradient goes to the layer's state, for its backward; the layer's output gets none from this read.
            var kernel = step.Kind == StepKind.RecurrentHidden ? ".RecurrentHiddenBackward(" : ".RecurrentCellBackward(";
            _w.Line(Ops + kernel + "b." + step.Inputs[0].Name + "State, " + gradOutput + ");");
        }

        void RecurrentBackwardStep(PlannedStep step, string gradOutput, HashSet<string> seenParameters)
        {
            var name = step.Output.Name;
            var plan = _plan!;
            // Only the final states may be read: then no gradient reaches the output, and its tape is not seeded there.
            bool outputRead = ReferenceEquals(step.Output, plan.Output) || step.Output.Consumers.Any(c => !plan.Steps[c].ReadsRecurrentState);
            int states = RecurrentStates(step);
            var targets = new List<(string Target, bool Accumulate)>();
            for (int i = 0; i < 3; i++)
                targets.Add(i < step.Inputs.Count ? RecurrentInputGradient(step, i) : ("null", false));
            var gradients = new List<(string Gradient, string Name)>();
            var afterwards = new List<string>();
            foreach (var member in step.ParameterMembers)
            {
                var (gradient, after) = ParameterGradient(step.Module, member, seenParameters);
                gradients.Add((gradient, step.RecurrentParameterName(member)));
                afterwards.Add(after);
            }
            string Flag(bool accumulate) => accumulate ? "true" : "false";
            _w.Line(Ops + ".RecurrentBackward(plan." + name + "Plan, " + Module(step.Module) + ", b." + name + "State, " + (outputRead ? gradOutput : "null") + ",");
            _w.Line("    " + targets[0].Target + ", accumulateInput: " + Flag(targets[0].Accumulate) + ",");
            _w.Line("    " + targets[1].Target + ", accumulateH0: " + Flag(targets[1].Accumulate) + ", " + targets[2].Target + ", accumulateC0: " + Flag(targets[2].Accumulate) + ",");
            // One line per layer and direction, in AllWeights order.
            var groups = gradients.GroupBy(g => g.Name.Substring(g.Name.IndexOf("_l", System.StringComparison.Ordinal))).ToList();
            for (int i = 0; i < groups.Count; i++)
                _w.Line("    " + string.Join(", ", groups[i].Select(g => g.Gradient)) + (i == groups.Count - 1 ? ");" : ",") + " // "
                    + string.Join(", ", groups[i].Select(g => g.Name)));
            foreach (var line in afterwards.Where(l => l.Length > 0)) _w.Line(line);
        }

        /// <summary>
        /// The gradient target of a recurrent step's input <paramref name="i"/> (the sequence, h0, c0) and whether the
        /// kernel adds to it (a gradient that arrived first along another path); "null" when it is never needed.
        /// </summary>
        (string Target, bool Accumulate) RecurrentInputGradient(PlannedStep step, int i)
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
    }
}
