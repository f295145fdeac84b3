using System.Linq;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The symbolic shapes the generator worked out at build time, written as comments beside the steps, so that the
    // generated file reads like code written by hand: each value's shape in the forward, each gradient's in the backward.
    // A variant's emitter has that variant's graph and shapes as _forward's (GraphEmitter.Variants.cs), so each variant's
    // class gets the comments of its own graph.
    internal sealed partial class GraphEmitter
    {
        /// <summary>The arguments' shapes, from their <c>[Shape]</c> annotations: <c>// x: [B, 784]</c>.</summary>
        void InputShapeComments()
        {
            if (_forward.Shapes is not { } shapes) return;
            for (int i = 0; i < _forward.Parameters.Count; i++)
                _w.Line("// " + _forward.Parameters[i] + ": " + shapes.Values[i]);
        }

        /// <summary>
        /// In the forward, the shape of the value a step writes (<c>// Fc1: [B, 128]</c>); in the backward, the shapes
        /// of the gradients it computes, named as the code names them: its inputs' and its layer's parameters'
        /// (<c>// gradX: [B, 784]; gradFc1Weight: [128, 784]; gradFc1Bias: [128]</c>).
        /// </summary>
        void ShapeComment(PlannedStep step, bool backward)
        {
            if (_forward.Shapes is not { } shapes) return;
            if (!backward)
            {
                _w.Line("// " + ValueName(step.Output) + ": " + shapes.Values[step.Output.Node]);
                return;
            }
            var graph = _forward.Graph!;
            var inputs = step.Inputs.Distinct()
                .Where(v => shapes.Gradients[v.Node].Length > 0)
                .Select(v => GradientName(v) + ": " + shapes.Gradients[v.Node]);
            var parameters = shapes.Parameters
                .Where(p => step.Nodes.Any(n => ReferenceEquals(n, graph.Nodes[p.Node])))
                .Select(p => ParameterGradientName(p.Path) + ": " + p.Gradient);
            var gradients = inputs.Concat(parameters).ToList();
            if (gradients.Count > 0) _w.Line("// " + string.Join("; ", gradients));
        }

        /// <summary>A value as the comments name it: an argument by its name, the output as <c>output</c>, a buffer by its name.</summary>
        string ValueName(PlannedValue value) => value.Home switch
        {
            Home.Input => IsStateLeaf(value) ? StatePath(value) : _forward.Parameters[value.Node],
            Home.Output => "output",
            _ => value.Name,
        };

        /// <summary>Where the backward writes a value's gradient: an argument's local (<c>gradX</c>), else the value's gradient buffer.</summary>
        string GradientName(PlannedValue value) => value.Home == Home.Input ? LeafGradient(value) : GraphPlanner.GradName(value);

        /// <summary>The local a parameter's gradient is written to: <c>fc1.weight</c> is <c>gradFc1Weight</c>.</summary>
        static string ParameterGradientName(string path)
        {
            int dot = path.LastIndexOf('.');
            var member = path.Substring(dot + 1);
            return "grad" + GraphPlanner.Pascal(path.Substring(0, dot)) + char.ToUpperInvariant(member[0]) + member.Substring(1);
        }
    }
}
