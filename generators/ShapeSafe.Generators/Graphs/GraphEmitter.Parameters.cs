using System.Collections.Generic;
using System.Linq;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The module's own parameters and buffers as inputs of the graph (ForwardCapture.Parameters.cs): a parameter is
    // bound when the module is compiled and takes a gradient, in the node's input order after the layers' parameters;
    // a buffer is read again at every call, checked against the plan's shape, and takes none. Both are kept for the
    // backward beside the arguments (b.Inputs), as eager autograd keeps the tensors an op saved. Also the steps of the
    // matrix products on graph values (Matmul, Mm, Bmm, F.Linear).
    internal sealed partial class GraphEmitter
    {
        List<PlannedValue>? _stateLeaves;

        /// <summary>The parameters and buffers the graph reads, in node order: the inputs after <c>Forward</c>'s arguments.</summary>
        List<PlannedValue> StateLeaves => _stateLeaves ??= _plan!.Values
            .Where(v => v.Home == Home.Input && ForwardCapture.IsState(_forward.Graph!.Nodes[v.Node].Op)).ToList();

        /// <summary>The module's own parameters the graph reads (those that take gradients).</summary>
        IEnumerable<PlannedValue> OwnParameters => StateLeaves.Where(IsParameter);

        /// <summary>The buffers the graph reads (read at every call).</summary>
        IEnumerable<PlannedValue> StateBuffers => StateLeaves.Where(v => !IsParameter(v));

        int OwnParameterCount => _plan is null ? 0 : OwnParameters.Count();

        bool IsParameter(PlannedValue leaf) => _forward.Graph!.Nodes[leaf.Node].Op == GraphOp.Parameter;

        bool IsStateLeaf(PlannedValue value) => value.Home == Home.Input && value.Node >= _forward.Parameters.Count;

        /// <summary>The registry path of a parameter or buffer leaf (<c>weight</c>, <c>block.gamma</c>).</summary>
        string StatePath(PlannedValue leaf) => _forward.Graph!.Nodes[leaf.Node].Arguments[0];

        /// <summary>The compiled class's field that holds a bound parameter (<c>_weight</c>, <c>_block_gamma</c>).</summary>
        string StateField(PlannedValue leaf)
        {
            var field = ForwardCapture.Member(StatePath(leaf));
            return LiveModules().Any(m => ForwardCapture.Member(m.Path) == field) || BoundScalars().Any(s => s.Member == field) ? field + "Parameter" : field;
        }

        /// <summary>Where an input is kept for the backward: its index in the buffer set's <c>Inputs</c>.</summary>
        int InputSlot(PlannedValue leaf) => IsStateLeaf(leaf) ? _forward.Parameters.Count + StateLeaves.IndexOf(leaf) : leaf.Node;

        /// <summary>An input's bit in <c>needs</c> and its place among the node's inputs; null for a buffer, which takes no gradient.</summary>
        int? DifferentiableIndex(PlannedValue leaf)
        {
            if (!IsStateLeaf(leaf)) return leaf.Node;
            if (!IsParameter(leaf)) return null;
            return _forward.Parameters.Count + _parameters.Count + OwnParameters.ToList().IndexOf(leaf);
        }

        /// <summary>Whether an input needs its gradient in this call: its bit, or false for a buffer.</summary>
        string LeafNeed(PlannedValue leaf) => DifferentiableIndex(leaf) is int index ? Need(index) : "false";

        /// <summary>The local holding an input's contiguous data in the forward and the backward (<c>xData</c>, <c>weightData</c>).</summary>
        string LeafData(PlannedValue leaf) => IsStateLeaf(leaf) ? char.ToLowerInvariant(leaf.Name[0]) + leaf.Name.Substring(1) + "Data" : InputData(leaf.Node);

        /// <summary>The local of an input's gradient (<c>gradX</c>, <c>gradWeight</c>).</summary>
        string LeafGradient(PlannedValue leaf) => GradientLocal(DifferentiableIndex(leaf)!.Value);

        /// <summary>The own parameter at differentiable index <paramref name="index"/> (past the arguments and the layers' parameters).</summary>
        PlannedValue OwnParameterAt(int index) => OwnParameters.ElementAt(index - _forward.Parameters.Count - _parameters.Count);

        bool IsOwnParameterIndex(int index) => index >= _forward.Parameters.Count + _parameters.Count;

        /// <summary>The bound parameters' fields, after the children's.</summary>
        void EmitStateFields()
        {
            foreach (var leaf in OwnParameters)
            {
                _w.Line("/// <summary>The module's parameter '" + Xml(StatePath(leaf)) + "', which the graph reads and trains.</summary>");
                _w.Line("readonly global::ShapeSafe.NN.Parameter " + StateField(leaf) + ";");
            }
        }

        /// <summary>Binds each parameter to the module's own object, as the children are bound.</summary>
        void EmitStateBindings()
        {
            foreach (var leaf in OwnParameters)
                _w.Line(StateField(leaf) + " = module.GetParameter(\"" + StatePath(leaf) + "\");");
        }

        /// <summary>
        /// At the start of a call, after the plan: each buffer, read as it is now, and the guard that it still has the
        /// plan's shape (else the call runs eagerly).
        /// </summary>
        void EmitBufferReads(string arguments)
        {
            foreach (var leaf in StateBuffers)
            {
                _w.Line("// The buffer '" + StatePath(leaf) + "', read at every call (a buffer updated between calls is seen).");
                _w.Line("var " + LeafData(leaf) + " = " + Ops + ".Contiguous(Module.GetBuffer(\"" + StatePath(leaf) + "\"));");
                _w.Line("if (!Holds(" + LeafData(leaf) + ", plan." + leaf.Name + "Shape)) return Module.Forward(" + arguments + ");");
            }
        }

        /// <summary>Each parameter's data for this call (the parameter itself when it is contiguous).</summary>
        void EmitParameterReads()
        {
            foreach (var leaf in OwnParameters)
                _w.Line("var " + LeafData(leaf) + " = " + Ops + ".Contiguous(" + StateField(leaf) + ");");
        }

        /// <summary>Keeps the parameters and buffers of this call for its backward.</summary>
        void EmitStateSaves()
        {
            foreach (var leaf in StateLeaves)
                _w.Line("b.Inputs[" + InputSlot(leaf) + "] = " + LeafData(leaf) + ";");
        }

        /// <summary>In the backward: the parameters and buffers as the forward read them.</summary>
        void EmitStateLoads()
        {
            foreach (var leaf in StateLeaves)
                _w.Line("var " + LeafData(leaf) + " = b.Inputs[" + InputSlot(leaf) + "];");
        }

        /// <summary>In the plan: each parameter's and buffer's shape, as it is when the plan is made.</summary>
        void EmitStateShapes()
        {
            foreach (var leaf in StateLeaves)
            {
                var tensor = IsParameter(leaf) ? "graph." + StateField(leaf) : "graph.Module.GetBuffer(\"" + StatePath(leaf) + "\")";
                _w.Line(leaf.Name + "Shape = " + Ops + ".SizesOf(" + tensor + ");");
            }
        }

        /// <summary>The shape comments of the parameters and buffers, after the arguments': <c>// weight: [784, 128]</c>.</summary>
        void StateShapeComments()
        {
            if (_forward.Shapes is not { } shapes) return;
            foreach (var leaf in StateLeaves)
                _w.Line("// " + StatePath(leaf) + ": " + shapes.Values[leaf.Node]);
        }

        /// <summary>The plan of a transpose or permute view: <c>Transpose(d0, d1)</c>, <c>Permute(dims)</c>, or <c>T</c>, its dims reversed.</summary>
        static string ViewPlan(PlannedStep step, string input)
        {
            var node = step.Nodes[0];
            var arguments = node.Arguments;
            if (node.Op == GraphOp.Transpose && arguments.Count == 1) return Ops + ".PlanReversed(" + input + ")";
            return node.Op == GraphOp.Transpose
                ? Ops + ".PlanTranspose(" + input + ", " + arguments[0] + ", " + arguments[1] + ")"
                : Ops + ".PlanPermute(" + input + ", new[] { " + string.Join(", ", arguments) + " })";
        }

        /// <summary>The forward kernel of a matrix product or <c>F.Linear</c>.</summary>
        void ProductForwardStep(PlannedStep step, bool recompute)
        {
            var a = Expr(step.Inputs[0], recompute);
            var b = Expr(step.Inputs[1], recompute);
            var output = Expr(step.Output, recompute);
            if (step.Kind == StepKind.Matmul)
            {
                _w.Line(Ops + ".Matmul(\"" + step.Nodes[0].Arguments[0] + "\", " + a + ", " + b + ", " + output + ");");
                return;
            }
            var bias = step.Inputs.Count > 2 ? Expr(step.Inputs[2], recompute) : "null";
            _w.Line(Ops + ".Linear(" + a + ", " + b + ", " + bias + ", global::ShapeSafe.CompiledGraphs.FusedActivation.None, " + output + ");");
        }

        /// <summary>The plan's shape of a matrix product or <c>F.Linear</c>, with the eager op's checks.</summary>
        void ProductPlanStep(PlannedStep step)
        {
            var shapes = step.Inputs.Select(v => v.Name + "Shape").ToList();
            var name = step.Output.Name;
            _w.Line(step.Kind == StepKind.Matmul
                ? name + "Shape = " + Ops + ".MatmulShape(" + shapes[0] + ", " + shapes[1] + ", \"" + step.Nodes[0].Arguments[0] + "\");"
                : name + "Shape = " + Ops + ".LinearShape(" + shapes[0] + ", " + shapes[1] + ", " + (shapes.Count > 2 ? shapes[2] : "null") + ");");
        }

        /// <summary>
        /// The backward of a matrix product (dA = dC·Bᵀ, dB = Aᵀ·dC, by eager autograd's matmul backward) or of
        /// <c>F.Linear</c> (the linear layer's gradient GEMMs): one kernel call for every operand that needs a gradient.
        /// </summary>
        void ProductBackwardStep(PlannedStep step, string gOut)
        {
            var targets = Enumerable.Range(0, step.Inputs.Count).Select(i => InputGradient(step, i)).ToList();
            if (targets.All(t => t.Target == "null")) return;
            var operands = step.Inputs.Select(v => Expr(v, true)).ToList();
            _w.Line(step.Kind == StepKind.Matmul
                ? Ops + ".MatmulBackward(" + gOut + ", " + operands[0] + ", " + operands[1] + ", " + targets[0].Target + ", " + targets[1].Target + ");"
                : Ops + ".LinearBackward(" + gOut + ", " + operands[0] + ", " + operands[1] + ", " + targets[0].Target + ", " + targets[1].Target + ", "
                    + (targets.Count > 2 ? targets[2].Target : "null") + ");");
            foreach (var (_, after) in targets.Where(t => t.After.Length > 0)) _w.Line(after);
        }
    }
}
