using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // A MultiheadAttention call and its weights: with needWeights: true the attention is a cross-attention step (its
    // query, key and value operands, the same value for self-attention) on the eager layer's weights path, and the
    // weights read from it (var (y, w) = _attn.Forward(...)) are a node of their own whose input is the attention.
    internal sealed partial class ForwardCapture
    {
        /// <summary>The argument of an attention node on the weights path: its weights averaged over the heads, or per head.</summary>
        internal const string AveragedWeights = "weights: averaged", HeadWeights = "weights: per head";

        /// <summary>The weights nodes, with the call each reads.</summary>
        readonly Dictionary<int, IInvocationOperation> _weightsNodes = new Dictionary<int, IInvocationOperation>();

        /// <summary>
        /// A <c>MultiheadAttention</c> call: the attention's node and, when <paramref name="readsWeights"/>, its weights'
        /// node (else -1). Without weights, a self-attention or cross-attention step; with <c>needWeights: true</c>, a
        /// cross-attention step on the weights path (the eager layer's other kernels), whatever its key and value.
        /// </summary>
        (int Output, int Weights) AttentionCall(IInvocationOperation call, (string Path, INamedTypeSymbol Type) child, Scope scope, bool readsWeights)
        {
            int query = Value(Argument(call, "query")!, scope);
            int key = Value(Argument(call, "key")!, scope), value = Value(Argument(call, "value")!, scope);
            if (Constant(Argument(call, "needWeights")!) is not bool needWeights)
                throw Break(call, "a needWeights that is not a constant passed to MultiheadAttention.Forward");
            if (readsWeights && !needWeights)
                throw Break(call, "the weights of a MultiheadAttention call with needWeights: false (they are null)");
            bool average = true;
            if (needWeights)
            {
                if (Constant(Argument(call, "averageAttnWeights")!) is not bool averaged)
                    throw Break(call, "an averageAttnWeights that is not a constant passed to MultiheadAttention.Forward");
                average = averaged;
            }
            // The weights path ignores the isCausal hint and applies the mask as given, as PyTorch does.
            var (masks, roles) = AttentionMasks(call, "attnMask", "keyPaddingMask", scope, hintApplies: !needWeights);
            Bind(child.Path, child.Type);
            if (!needWeights)
            {
                // A key or value that is not the query: a cross-attention, whose operands are all three (the same value
                // twice when the key is the value).
                if (key != query || value != query)
                    return (Add(GraphOp.CrossAttention, new[] { query, key, value }.Concat(masks).ToArray(), child.Path, call, roles), -1);
                return (Add(GraphOp.SelfAttention, new[] { query }.Concat(masks).ToArray(), child.Path, call, roles), -1);
            }
            var arguments = roles.Concat(new[] { average ? AveragedWeights : HeadWeights }).ToArray();
            int attention = Add(GraphOp.CrossAttention, new[] { query, key, value }.Concat(masks).ToArray(), child.Path, call, arguments);
            if (!readsWeights) return (attention, -1);
            int weights = Add(GraphOp.AttentionWeights, new[] { attention }, child.Path, call);
            _weightsNodes[weights] = call;
            return (attention, weights);
        }

        /// <summary><c>var (y, w) = _attn.Forward(...)</c>: the output and the weights as two locals (either may be a discard).</summary>
        void Deconstruct(IDeconstructionAssignmentOperation assignment, Scope scope)
        {
            var value = assignment.Value;
            while (value is IConversionOperation { Conversion.IsImplicit: true } conversion) value = conversion.Operand;
            if (value is not IInvocationOperation { TargetMethod.Name: "Forward", Instance: { } layer } call
                || ChildPath(layer, scope) is not { } attention || attention.Type.ToDisplayString() != MultiheadAttentionType)
                throw Break(assignment, "a deconstruction of " + Describe(value) + " (only a MultiheadAttention call's output and weights are deconstructed)");
            var elements = assignment.Target switch
            {
                IDeclarationExpressionOperation { Expression: ITupleOperation tuple } => tuple.Elements,
                ITupleOperation tuple => tuple.Elements,
                _ => default,
            };
            if (elements.IsDefault || elements.Length != 2)
                throw Break(assignment, "a deconstruction into " + Describe(assignment.Target));
            ISymbol? Local(IOperation target) => target switch
            {
                ILocalReferenceOperation local => local.Local,
                IDeclarationExpressionOperation { Expression: ILocalReferenceOperation local } => local.Local,
                IDiscardOperation => null,
                _ => throw Break(target, "a deconstruction into " + Describe(target) + " (only into locals)"),
            };
            var (outputLocal, weightsLocal) = (Local(elements[0]), Local(elements[1]));
            var (output, weights) = AttentionCall(call, attention, scope, readsWeights: weightsLocal is not null);
            if (outputLocal is not null) scope.Values[outputLocal] = output;
            if (weightsLocal is not null) scope.Values[weightsLocal] = weights;
        }

        /// <summary>
        /// The weights of an attention whose output nothing reads are a graph break: eager autograd never reaches the
        /// output projection then (its parameters get no gradient), which the attention's one backward cannot give.
        /// </summary>
        void RequireAttentionOutputsRead(int output)
        {
            if (_weightsNodes.Count == 0) return;
            var live = new bool[_nodes.Count];
            live[output] = true;
            for (int i = _nodes.Count - 1; i >= 0; i--)
                if (live[i])
                    foreach (var input in _nodes[i].Inputs) live[input] = true;
            foreach (var pair in _weightsNodes.Where(p => live[p.Key]))
            {
                int attention = _nodes[pair.Key].Inputs[0];
                bool read = attention == output
                    || Enumerable.Range(0, _nodes.Count).Any(i => live[i] && _nodes[i].Op != GraphOp.AttentionWeights && _nodes[i].Inputs.Contains(attention));
                if (!read)
                    throw Break(pair.Value, "the weights of a MultiheadAttention whose output is not used (eager autograd never reaches the output projection then; use the output too)");
            }
        }
    }
}
