using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The attention layers: MultiheadAttention as self-attention, TransformerEncoderLayer, and TransformerEncoder
    // unrolled into its layers. Each layer is one composite step whose kernels read the layer's own configuration
    // (batch-first, pre- or post-norm, the activation, the dropout probability) when they run.
    internal sealed partial class ForwardCapture
    {
        const string MultiheadAttentionType = "ShapeSafe.NN.MultiheadAttention";
        const string EncoderLayerType = "ShapeSafe.NN.TransformerEncoderLayer";
        const string EncoderType = "ShapeSafe.NN.TransformerEncoder";

        /// <summary>How many tensors a compiled node can take gradients for: one bit each in the generated <c>needs</c> mask.</summary>
        const int MaxDifferentiable = 64;

        /// <summary>Whether <paramref name="type"/> is one of the attention layers this file compiles.</summary>
        static bool IsAttentionLayer(INamedTypeSymbol type) => type.ToDisplayString() is MultiheadAttentionType or EncoderLayerType or EncoderType;

        /// <summary>
        /// <c>_attn.Forward(x, x, x, needWeights: false).Output</c>: self-attention without weights, the one form of a
        /// <c>MultiheadAttention</c> call that compiles (its <c>Forward</c> returns a tuple, so the call is captured
        /// where its <c>Output</c> is read).
        /// </summary>
        int AttentionOutput(IFieldReferenceOperation element, IInvocationOperation call, (string Path, INamedTypeSymbol Type) child, Scope scope)
        {
            if (element.Field.Name is not ("Output" or "Item1"))
                throw Break(element, "MultiheadAttention's " + element.Field.Name + " (the attention weights are not compiled; read Output with needWeights: false)");
            int query = Value(Argument(call, "query")!, scope);
            if (Value(Argument(call, "key")!, scope) != query || Value(Argument(call, "value")!, scope) != query)
                throw Break(call, "a MultiheadAttention whose key or value is not its query (only self-attention is compiled)");
            if (Argument(call, "needWeights") is not { ConstantValue: { HasValue: true, Value: false } })
                throw Break(call, "a MultiheadAttention call with needWeights true (the default; the weights are a second output, which is not compiled: pass needWeights: false)");
            RequireNoMask(call, "keyPaddingMask", "a key padding mask");
            var causal = CausalMask(call, "attnMask", scope);
            Bind(child.Path, child.Type);
            return Add(GraphOp.SelfAttention, causal is int mask ? new[] { query, mask } : new[] { query }, child.Path, call);
        }

        /// <summary>
        /// A <c>TransformerEncoderLayer</c> child's <c>Forward(x)</c>, one step; a <c>TransformerEncoder</c>'s, a step per
        /// layer and a layer norm for its norm. A <c>MultiheadAttention</c>'s <c>Forward</c> is read through its <c>Output</c>.
        /// </summary>
        int AttentionForward(IInvocationOperation call, (string Path, INamedTypeSymbol Type) child, Scope scope)
        {
            var type = child.Type.ToDisplayString();
            if (type == MultiheadAttentionType)
                throw Break(call, "a MultiheadAttention call whose tuple is used whole (read its Output, with needWeights: false)");
            int x = Value(Argument(call, "src")!, scope);
            RequireNoMask(call, "srcKeyPaddingMask", "a key padding mask");
            // The encoder's isCausal is a bool?: left out or null, it is detected from the mask's values, so only an
            // encoder without a mask compiles then.
            if (type == EncoderType && IsNullOrDefault(call, "isCausal")) RequireNoMask(call, "mask", "an attention mask without isCausal: true");
            var causal = CausalMask(call, type == EncoderType ? "mask" : "srcMask", scope);
            int[] Operands(int value) => causal is int mask ? new[] { value, mask } : new[] { value };
            if (type == EncoderLayerType)
            {
                Bind(child.Path, child.Type);
                return Add(GraphOp.TransformerEncoderLayer, Operands(x), child.Path, call);
            }
            var (layers, layerType, norm) = EncoderStack(call);
            for (int i = 0; i < layers; i++)
            {
                var path = child.Path + ".layers." + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Bind(path, layerType);
                x = Add(GraphOp.TransformerEncoderLayer, Operands(x), path, call);
            }
            if (norm is not null)
            {
                Bind(child.Path + ".norm", norm);
                x = Add(GraphOp.LayerNorm, new[] { x }, child.Path + ".norm", call);
            }
            return x;
        }

        /// <summary>
        /// The layer count and the norm of a <c>TransformerEncoder</c> member, read from its initializer
        /// (<c>new TransformerEncoder(layer, 2)</c> or <c>new(layer, 2, new LayerNorm(64))</c>), as a module array's
        /// elements are read for unrolling.
        /// </summary>
        (int Layers, INamedTypeSymbol LayerType, INamedTypeSymbol? Norm) EncoderStack(IInvocationOperation call)
        {
            var instance = call.Instance!;
            while (instance is IConversionOperation { Conversion.IsImplicit: true } conversion) instance = conversion.Operand;
            ISymbol? member = instance switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field => field.Field,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
                _ => null,
            };
            const string Unknown = "'s layers are not known at build time (unrolling a TransformerEncoder needs a read-only member initialized with new TransformerEncoder(layer, n) of a constant n, and a norm that is left out, null or a new LayerNorm)";
            if (member is null)
                throw Break(call, "a TransformerEncoder that is not a member of this module (its layers are read from the member's initializer)");
            var declarator = member.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken);
            var initializer = declarator switch
            {
                VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                PropertyDeclarationSyntax property => property.Initializer?.Value,
                _ => null,
            };
            if (initializer is null || !IsReadOnly(member) || AssignedOutsideItsInitializer(member)
                || _compilation.GetSemanticModel(initializer.SyntaxTree).GetOperation(initializer, _cancellationToken) is not IObjectCreationOperation creation)
                throw Break(call, member.Name + Unknown);
            var arguments = creation.Arguments;
            var layers = arguments.FirstOrDefault(a => a.Parameter?.Name == "numLayers")?.Value.ConstantValue;
            var layer = arguments.FirstOrDefault(a => a.Parameter?.Name == "encoderLayer")?.Value;
            var norm = arguments.FirstOrDefault(a => a.Parameter?.Name == "norm");
            while (layer is IConversionOperation { Conversion.IsImplicit: true } widened) layer = widened.Operand;
            if (layers is not { HasValue: true, Value: int count } || count < 0 || layer?.Type is not INamedTypeSymbol layerType)
                throw Break(call, member.Name + Unknown);
            if (count > MaxUnroll)
                throw Break(call, member.Name + " has " + count + " layers (loops are unrolled up to " + MaxUnroll + ")");
            INamedTypeSymbol? normType = null;
            var normValue = norm?.Value;
            while (normValue is IConversionOperation { Conversion.IsImplicit: true } normConversion) normValue = normConversion.Operand;
            if (norm is not null && norm.ArgumentKind != ArgumentKind.DefaultValue && normValue?.ConstantValue is not { HasValue: true, Value: null })
            {
                if (normValue is not IObjectCreationOperation { Type: INamedTypeSymbol created } || created.ToDisplayString() != "ShapeSafe.NN.LayerNorm")
                    throw Break(call, member.Name + Unknown);
                normType = created;
            }
            return (count, layerType, normType);
        }

        /// <summary>The argument bound to <paramref name="parameter"/> (its default value when left out), or null.</summary>
        static IOperation? Argument(IInvocationOperation call, string parameter) =>
            call.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter)?.Value;

        /// <summary>A mask argument must be left out or null (masks are graph breaks for now).</summary>
        void RequireNoMask(IInvocationOperation call, string parameter, string what)
        {
            if (!IsNullOrDefault(call, parameter))
                throw Break(call, what + " passed to " + call.TargetMethod.ContainingType.Name + ".Forward (of the masks, only a causal attention's is compiled)");
        }

        /// <summary>Whether the argument for <paramref name="parameter"/> is left out (its default) or a null literal.</summary>
        static bool IsNullOrDefault(IInvocationOperation call, string parameter)
        {
            var argument = call.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter);
            if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue) return true;
            var value = argument.Value;
            while (value is IConversionOperation { Conversion.IsImplicit: true } conversion) value = conversion.Operand;
            return value.ConstantValue is { HasValue: true, Value: null } || value is IDefaultValueOperation;
        }

        /// <summary>
        /// The mask of a causal attention, or null for none: with <c>isCausal: true</c> and no key padding mask, the
        /// eager layer checks the mask's rank and attends causally without reading it (PyTorch's hint), so the mask
        /// must be one of <c>Forward</c>'s inputs and the graph only plans its shape. Any other mask is a graph break.
        /// </summary>
        int? CausalMask(IInvocationOperation call, string maskParameter, Scope scope)
        {
            var layer = call.TargetMethod.ContainingType.Name;
            bool causal = Argument(call, "isCausal") is { } hint && !IsNullOrDefault(call, "isCausal") && Constant(hint) is true;
            if (!causal && !IsNullOrDefault(call, "isCausal") && Constant(Argument(call, "isCausal")!) is not false)
                throw Break(call, "an isCausal hint that is not a constant passed to " + layer + ".Forward");
            if (IsNullOrDefault(call, maskParameter))
            {
                if (causal) throw Break(call, "isCausal: true without a mask passed to " + layer + ".Forward (the eager layer requires the mask)");
                return null;
            }
            if (!causal)
                throw Break(call, "an attention mask without isCausal: true passed to " + layer + ".Forward (of the masks, only a causal attention's is compiled)");
            int mask = Value(Argument(call, maskParameter)!, scope);
            if (_nodes[mask].Op != GraphOp.Input)
                throw Break(call, "a causal mask that is not one of Forward's inputs passed to " + layer + ".Forward (the graph plans its shape from the input's)");
            return mask;
        }

        static object? Constant(IOperation value)
        {
            while (value is IConversionOperation { Conversion.IsImplicit: true } conversion) value = conversion.Operand;
            return value.ConstantValue.HasValue ? value.ConstantValue.Value : null;
        }

        /// <summary>The tensors a graph's node takes gradients for: its inputs and each bound module's parameters.</summary>
        static int Differentiable(IEnumerable<GraphNode> nodes)
        {
            int count = 0;
            var seen = new HashSet<string>();
            foreach (var node in nodes)
            {
                if (node.Op is GraphOp.Input or GraphOp.Parameter) count++;
                else if (node.Module.Length > 0 && seen.Add(node.Module))
                    count += node.Op switch
                    {
                        GraphOp.Linear or GraphOp.Conv2d or GraphOp.LayerNorm or GraphOp.BatchNorm => 2,
                        GraphOp.Embedding => 1,
                        GraphOp.SelfAttention => 4,
                        GraphOp.TransformerEncoderLayer => 12,
                        GraphOp.Recurrent => RecurrentParameterCount(node),
                        _ => 0,
                    };
            }
            return count;
        }
    }
}
