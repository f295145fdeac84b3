using System.Collections.Generic;
using System.Globalization;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    internal sealed partial class PlannedStep
    {
        /// <summary>Whether it reads a final state of a recurrent step (whose gradient goes to that step's state, not to its output's gradient).</summary>
        public bool ReadsRecurrentState => Kind is StepKind.RecurrentHidden or StepKind.RecurrentCell;

        /// <summary>
        /// A recurrent layer's parameters in <c>AllWeights</c> order (the registration order): per layer and direction
        /// <c>weight_ih</c>, <c>weight_hh</c>, then <c>bias_ih</c> and <c>bias_hh</c> with bias, then an LSTM's <c>weight_hr</c>.
        /// </summary>
        static IReadOnlyList<string> RecurrentParameters(GraphNode node)
        {
            int stacks = int.Parse(node.Arguments[1], CultureInfo.InvariantCulture) * (node.Arguments[2] == "true" ? 2 : 1);
            int each = ForwardCapture.RecurrentParameterCount(node) / stacks;
            var members = new List<string>();
            for (int k = 0; k < stacks; k++)
                for (int j = 0; j < each; j++)
                    members.Add("AllWeights[" + k.ToString(CultureInfo.InvariantCulture) + "][" + j.ToString(CultureInfo.InvariantCulture) + "]");
            return members;
        }

        /// <summary>PyTorch's name of a recurrent layer's parameter member (<c>AllWeights[1][0]</c> is <c>weight_ih_l0_reverse</c> when bidirectional).</summary>
        public string RecurrentParameterName(string member)
        {
            var node = Nodes[0];
            int directions = node.Arguments[2] == "true" ? 2 : 1;
            var parts = member.Split('[', ']');
            int k = int.Parse(parts[1], CultureInfo.InvariantCulture), j = int.Parse(parts[3], CultureInfo.InvariantCulture);
            bool bias = node.Arguments[3] == "true";
            var kind = j switch
            {
                0 => "weight_ih",
                1 => "weight_hh",
                2 when bias => "bias_ih",
                3 when bias => "bias_hh",
                _ => "weight_hr",
            };
            return kind + "_l" + (k / directions).ToString(CultureInfo.InvariantCulture) + (k % directions == 1 ? "_reverse" : "");
        }
    }
}
