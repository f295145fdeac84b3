using System.Collections.Generic;
using System.Linq;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    internal sealed partial class PlannedStep
    {
        /// <summary>A compiled layer's parameters in its registration order (<c>Module.Parameters()</c>): the node's arguments after the layer's name.</summary>
        static IReadOnlyList<string> LayerParameters(GraphNode node) => node.Arguments.Skip(1).ToArray();

        /// <summary>Whether it is a GroupNorm's step, whose weight is null without affine.</summary>
        bool IsGroupNorm => Kind == StepKind.Layer && Nodes[0].Arguments[0] == "GroupNorm";
    }
}
