using System.Globalization;
using System.Linq;

namespace ShapeSafe.Generators.Graphs
{
    // Which tensors need a gradient, for a graph of more than 64 (a deep encoder): a bool per tensor instead of a bit,
    // and the guard of a graph that checks each input on its own (any number of inputs, attention masks of either dtype).
    internal sealed partial class GraphEmitter
    {
        /// <summary>How many tensors the generated <c>ulong needs</c> holds, one bit each; a graph of more keeps a <c>bool[]</c>.</summary>
        const int NeedBits = 64;

        /// <summary>Whether the graph takes gradients for more tensors than a <c>ulong</c> has bits.</summary>
        bool WideNeeds => Differentiable > NeedBits;

        /// <summary><c>bool[] needs</c>, one entry per argument and parameter in the node's input order, each line naming its index.</summary>
        void EmitWideNeeds()
        {
            _w.Line("// Which of the arguments and parameters need a gradient, in the node's input order (needs[i] is input i's).");
            _w.Line("var needs = new bool[]");
            _w.Line("{");
            for (int i = 0; i < Differentiable; i++)
            {
                var tensor = i < _forward.Parameters.Count ? _forward.Parameters[i] : Param(i);
                var requires = i >= _forward.Parameters.Count && !IsOwnParameterIndex(i) && MayBeNull(_parameters[i - _forward.Parameters.Count]) ? tensor + "?.RequiresGrad == true" : tensor + ".RequiresGrad";
                _w.Line("    " + requires + ", // " + i.ToString(CultureInfo.InvariantCulture));
            }
            _w.Line("};");
            _w.Line("bool record = global::System.Array.IndexOf(needs, true) >= 0 && global::ShapeSafe.Autograd.IsGradEnabled;");
        }

        /// <summary>
        /// Whether the guard checks each input on its own (<c>GuardInput</c>, <c>GuardMask</c>): a graph of more than two
        /// inputs, or one with an attention step, whose masks may be Bool or Float32 and whose plan may find a graph break.
        /// </summary>
        bool GuardsEachInput => _forward.Parameters.Count > 2 || _plan!.Steps.Any(s => s.IsAttention);

        /// <summary>
        /// The arguments of the per-input guard: each input's dtype, a mask's either of two. Past four inputs (a graph of a
        /// split <c>Forward</c>), they are one collection expression, which the span overload holds on the stack.
        /// </summary>
        string EachInputGuard()
        {
            var plan = _plan!;
            var guards = string.Join(", ", _forward.Parameters.Select((p, i) =>
                plan.IsMaskInput(i) ? "GuardMask(" + p + ")"
                : plan.IsIndexInput(i) ? "GuardInput(" + p + ", global::ShapeSafe.DType.Int64)"
                : "GuardInput(" + p + ")"));
            return _forward.Parameters.Count > FixedGuardInputs ? "[" + guards + "]" : guards;
        }

        /// <summary>The most inputs the guard's fixed overloads take; more are passed as one span.</summary>
        const int FixedGuardInputs = 4;
    }
}
