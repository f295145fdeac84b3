using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The attention layers: MultiheadAttention as self- or cross-attention, TransformerEncoderLayer, and TransformerEncoder
    // unrolled into its layers. Each layer is one composite step whose kernels read the layer's own configuration
    // (batch-first, pre- or post-norm, the activation, the dropout probability) when they run.
    internal sealed partial class ForwardCapture
    {
        const string MultiheadAttentionType = "ShapeSafe.NN.MultiheadAttention";
        const string EncoderLayerType = "ShapeSafe.NN.TransformerEncoderLayer";
        const string EncoderType = "ShapeSafe.NN.TransformerEncoder";

        /// <summary>Whether <paramref name="type"/> is one of the attention layers this file compiles.</summary>
        static bool IsAttentionLayer(INamedTypeSymbol type) => type.ToDisplayString() is MultiheadAttentionType or EncoderLayerType or EncoderType;

        /// <summary>
        /// <c>_attn.Forward(x, x, x, needWeights: false).Output</c>: self-attention without weights, or
        /// <c>_attn.Forward(q, kv, kv, needWeights: false).Output</c>, a cross-attention (its <c>Forward</c> returns a
        /// tuple, so the call is captured where its <c>Output</c> is read).
        /// </summary>
        int AttentionOutput(IFieldReferenceOperation element, IInvocationOperation call, (string Path, INamedTypeSymbol Type) child, Scope scope)
        {
            if (element.Field.Name is "Weights" or "Item2")
                throw Break(element, "MultiheadAttention's Weights read without its Output (eager autograd never reaches the output projection then; read both with var (output, weights) = _attn.Forward(...) and use the output)");
            if (element.Field.Name is not ("Output" or "Item1"))
                throw Break(element, "MultiheadAttention's " + element.Field.Name);
            return AttentionCall(call, child, scope, readsWeights: false).Output;
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
            // The encoder's isCausal is a bool?: left out or null, it is detected from the mask's values, so only an
            // encoder without a mask compiles then.
            if (type == EncoderType && IsNullOrDefault(call, "isCausal") && !IsNullOrDefault(call, "mask"))
                throw Break(call, "an attention mask without an isCausal hint passed to TransformerEncoder.Forward (the encoder detects a causal mask from the mask's values; pass isCausal: true or false)");
            var (masks, roles) = AttentionMasks(call, type == EncoderType ? "mask" : "srcMask", "srcKeyPaddingMask", scope);
            int[] Operands(int value) => new[] { value }.Concat(masks).ToArray();
            if (type == EncoderLayerType)
            {
                Bind(child.Path, child.Type);
                return Add(GraphOp.TransformerEncoderLayer, Operands(x), child.Path, call, roles);
            }
            var (layers, layerType, norm) = EncoderStack(call);
            for (int i = 0; i < layers; i++)
            {
                var path = child.Path + ".layers." + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                Bind(path, layerType);
                x = Add(GraphOp.TransformerEncoderLayer, Operands(x), path, call, roles);
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

        /// <summary>Whether the argument for <paramref name="parameter"/> is left out (its default) or a null literal.</summary>
        static bool IsNullOrDefault(IInvocationOperation call, string parameter)
        {
            var argument = call.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter);
            if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue) return true;
            var value = argument.Value;
            while (value is IConversionOperation { Conversion.IsImplicit: true } conversion) value = conversion.Operand;
            return value.ConstantValue is { HasValue: true, Value: null } || value is IDefaultValueOperation;
        }

        static object? Constant(IOperation value)
        {
            while (value is IConversionOperation { Conversion.IsImplicit: true } conversion) value = conversion.Operand;
            return value.ConstantValue.HasValue ? value.ConstantValue.Value : null;
        }
    }
}
