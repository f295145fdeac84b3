using System.Collections.Generic;
using System.Linq;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    internal sealed partial class PlannedStep
    {
        /// <summary>Whether it is a decoder layer's composite step (its operands: the target, the memory, then its masks).</summary>
        public bool IsDecoderLayer => Kind == StepKind.TransformerDecoderLayer;

        /// <summary>The modules of a decoder layer that hold parameters, in its registration order (<c>Module.Parameters()</c>).</summary>
        static readonly string[] DecoderLayerModules = { "Linear1", "Linear2", "Norm1", "Norm2", "Norm3" };

        /// <summary>
        /// A <c>TransformerDecoderLayer</c>'s parameters in its registration order: both attentions' packed projection and
        /// output projection, the feed-forward block's layers, the three norms; the biases only when the layer has them.
        /// </summary>
        static IReadOnlyList<string> DecoderLayerParameters(GraphNode node)
        {
            bool bias = node.Arguments.Contains(ForwardCapture.DecoderBias);
            var members = new List<string>();
            foreach (var attention in new[] { "SelfAttn", "MultiheadAttn" })
            {
                members.Add(attention + ".InProjWeight");
                if (bias) members.Add(attention + ".InProjBias");
                members.Add(attention + ".OutProj.Weight");
                if (bias) members.Add(attention + ".OutProj.Bias");
            }
            foreach (var module in DecoderLayerModules)
            {
                members.Add(module + ".Weight");
                if (bias) members.Add(module + ".Bias");
            }
            return members;
        }
    }
}
