using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The decoder side of the Transformer: a TransformerDecoderLayer call is one composite step over the bound layer
    // (its own Forward run on a tape of its own, GraphOps.Decoder.cs); a TransformerDecoder is unrolled into a step per
    // layer and a layer norm for its norm; a Transformer into its encoder's layer steps and norm, then its decoder's.
    // The node's operands are the target, the memory, then the masks passed, whose parameter names the node's
    // arguments give, then the hints that are true, then "bias" when the layer learns biases.
    internal sealed partial class ForwardCapture
    {
        const string DecoderLayerType = "ShapeSafe.NN.TransformerDecoderLayer";
        const string DecoderType = "ShapeSafe.NN.TransformerDecoder";
        const string TransformerType = "ShapeSafe.NN.Transformer";

        /// <summary>A decoder node's mask parameters, in the layer's <c>Forward</c> order.</summary>
        internal static readonly string[] DecoderMasks = { "tgtMask", "memoryMask", "tgtKeyPaddingMask", "memoryKeyPaddingMask" };

        /// <summary>A decoder node's causal hints, in the layer's <c>Forward</c> order.</summary>
        internal static readonly string[] DecoderHints = { "tgtIsCausal", "memoryIsCausal" };

        /// <summary>The argument of a decoder node whose layer learns biases (its parameters include them).</summary>
        internal const string DecoderBias = "bias";

        static bool IsDecoderLayer(INamedTypeSymbol type) => type.ToDisplayString() is DecoderLayerType or DecoderType or TransformerType;

        /// <summary>A <c>TransformerDecoderLayer</c>'s, <c>TransformerDecoder</c>'s or <c>Transformer</c>'s <c>Forward</c>.</summary>
        int DecoderForward(IInvocationOperation call, (string Path, INamedTypeSymbol Type) child, Scope scope)
        {
            var type = child.Type.ToDisplayString();
            if (type == TransformerType) return TransformerForward(call, child, scope);
            int x = Value(Argument(call, "tgt")!, scope);
            int memory = Value(Argument(call, "memory")!, scope);
            if (type == DecoderLayerType)
            {
                var layer = LayerArguments.Read(child.Path, _root, _types, _compilation, _cancellationToken);
                if (layer is null || layer.Flag("bias", true) != layer.Flag("bias", false))
                    throw Break(call, "TransformerDecoderLayer " + child.Path + "'s bias is not known at build time (the graph takes a gradient for each of its parameters: create it in its member's initializer or the constructor with a constant bias)");
                var (operands, roles) = DecoderOperands(call, x, memory, "tgtIsCausal", scope, layer.Flag("bias", true));
                Bind(child.Path, child.Type);
                return Add(GraphOp.TransformerDecoderLayer, operands, child.Path, call, roles);
            }
            var creation = StackCreation(call, "TransformerDecoder", "new TransformerDecoder(layer, n) of a constant n and a new TransformerDecoderLayer");
            var (layers, layerType, bias) = DecoderStack(call, creation, "decoderLayer");
            var norm = StackNorm(call, creation);
            return DecoderLayers(call, child.Path, layers, layerType, norm, x, memory, bias, scope);
        }

        /// <summary>The decoder's layers, each one step reading the same memory and masks, then its norm.</summary>
        int DecoderLayers(IInvocationOperation call, string path, int layers, INamedTypeSymbol layerType, INamedTypeSymbol? norm, int x, int memory, bool bias, Scope scope)
        {
            // The decoder's tgtIsCausal is a bool?: left out or null, it is detected from the mask's values.
            if (IsNullOrDefault(call, "tgtIsCausal") && !IsNullOrDefault(call, "tgtMask"))
                throw Break(call, "a target mask without a tgtIsCausal hint passed to " + call.TargetMethod.ContainingType.Name
                    + ".Forward (the decoder detects a causal mask from the mask's values; pass tgtIsCausal: true or false)");
            var (operands, roles) = DecoderOperands(call, x, memory, "tgtIsCausal", scope, bias);
            for (int i = 0; i < layers; i++)
            {
                var layer = path + ".layers." + i.ToString(CultureInfo.InvariantCulture);
                Bind(layer, layerType);
                operands[0] = x;
                x = Add(GraphOp.TransformerDecoderLayer, operands.ToArray(), layer, call, roles);
            }
            if (norm is not null)
            {
                Bind(path + ".norm", norm);
                x = Add(GraphOp.LayerNorm, new[] { x }, path + ".norm", call);
            }
            return x;
        }

        /// <summary>
        /// <c>_transformer.Forward(src, tgt, ...)</c>: the encoder's layers and norm on the source, then the decoder's
        /// layers and norm on the target against the encoder's output, with the masks passed to each.
        /// </summary>
        int TransformerForward(IInvocationOperation call, (string Path, INamedTypeSymbol Type) child, Scope scope)
        {
            int src = Value(Argument(call, "src")!, scope);
            int tgt = Value(Argument(call, "tgt")!, scope);
            var creation = StackCreation(call, "Transformer", "new Transformer(...) whose numEncoderLayers, numDecoderLayers and bias are constants");
            int? Count(string parameter)
            {
                var argument = creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == parameter);
                return argument is null ? null : Constant(argument.Value) as int?;
            }
            var encoderLayers = Count("numEncoderLayers");
            var decoderLayers = Count("numDecoderLayers");
            var bias = BiasOf(creation);
            if (encoderLayers is not int encoders || decoderLayers is not int decoders || encoders < 0 || decoders < 0 || bias is not bool biased)
                throw Break(call, child.Path + "'s layers are not known at build time (unrolling a Transformer needs a read-only member initialized with new Transformer(...) whose numEncoderLayers, numDecoderLayers and bias are constants)");
            if (encoders > MaxUnroll || decoders > MaxUnroll)
                throw Break(call, child.Path + " has more than " + MaxUnroll + " layers in a stack (loops are unrolled up to " + MaxUnroll + ")");
            if (IsNullOrDefault(call, "srcIsCausal") && !IsNullOrDefault(call, "srcMask"))
                throw Break(call, "a source mask without a srcIsCausal hint passed to Transformer.Forward (the encoder detects a causal mask from the mask's values; pass srcIsCausal: true or false)");
            var encoderLayer = _compilation.GetTypeByMetadataName(EncoderLayerType)!;
            var layerNorm = _compilation.GetTypeByMetadataName("ShapeSafe.NN.LayerNorm")!;
            var (masks, encoderRoles) = AttentionMasks(call, "srcMask", "srcKeyPaddingMask", scope, hintParameter: "srcIsCausal");
            int x = src;
            for (int i = 0; i < encoders; i++)
            {
                var layer = child.Path + ".encoder.layers." + i.ToString(CultureInfo.InvariantCulture);
                Bind(layer, encoderLayer);
                x = Add(GraphOp.TransformerEncoderLayer, new[] { x }.Concat(masks).ToArray(), layer, call, encoderRoles);
            }
            Bind(child.Path + ".encoder.norm", layerNorm);
            x = Add(GraphOp.LayerNorm, new[] { x }, child.Path + ".encoder.norm", call);
            var decoderLayer = _compilation.GetTypeByMetadataName(DecoderLayerType)!;
            return DecoderLayers(call, child.Path + ".decoder", decoders, decoderLayer, layerNorm, tgt, x, biased, scope);
        }

        /// <summary>The target, the memory, then the masks passed; and the node's arguments naming them, the true hints and the bias.</summary>
        (List<int> Operands, string[] Roles) DecoderOperands(IInvocationOperation call, int tgt, int memory, string tgtHint, Scope scope, bool bias)
        {
            if (tgt == memory)
                throw Break(call, "a " + call.TargetMethod.ContainingType.Name + " whose memory is its target (the step takes them as two inputs with a gradient each)");
            var operands = new List<int> { tgt, memory };
            var roles = new List<string>();
            for (int i = 0; i < DecoderMasks.Length; i++)
            {
                if (IsNullOrDefault(call, DecoderMasks[i])) continue;
                operands.Add(MaskInput(call, DecoderMasks[i], scope, "a mask", "the graph's guard checks a mask's dtype and shape as an input's"));
                roles.Add(DecoderMasks[i]);
            }
            foreach (var (hint, mask) in new[] { (tgtHint, "tgtMask"), ("memoryIsCausal", "memoryMask") })
            {
                if (IsNullOrDefault(call, hint)) continue;
                var value = Constant(Argument(call, hint)!);
                if (value is not bool on)
                    throw Break(call, "a " + hint + " hint that is not a constant passed to " + call.TargetMethod.ContainingType.Name + ".Forward");
                if (on && IsNullOrDefault(call, mask))
                    throw Break(call, hint + ": true without a " + mask + " passed to " + call.TargetMethod.ContainingType.Name + ".Forward (the eager layer requires the mask)");
                if (on) roles.Add(hint == tgtHint ? "tgtIsCausal" : "memoryIsCausal");
            }
            if (bias) roles.Add(DecoderBias);
            return (operands, roles.ToArray());
        }

        /// <summary>The object creation that initializes the member a stack's <c>Forward</c> is called on, read as an encoder's is.</summary>
        IObjectCreationOperation StackCreation(IInvocationOperation call, string what, string needs)
        {
            var instance = call.Instance!;
            while (instance is IConversionOperation { Conversion.IsImplicit: true } conversion) instance = conversion.Operand;
            ISymbol? member = instance switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field => field.Field,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
                _ => null,
            };
            if (member is null)
                throw Break(call, "a " + what + " that is not a member of this module (its layers are read from the member's initializer)");
            var declarator = member.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(_cancellationToken);
            var initializer = declarator switch
            {
                VariableDeclaratorSyntax variable => variable.Initializer?.Value,
                PropertyDeclarationSyntax property => property.Initializer?.Value,
                _ => null,
            };
            if (initializer is null || !IsReadOnly(member) || AssignedOutsideItsInitializer(member)
                || _compilation.GetSemanticModel(initializer.SyntaxTree).GetOperation(initializer, _cancellationToken) is not IObjectCreationOperation creation)
                throw Break(call, member.Name + "'s layers are not known at build time (unrolling a " + what + " needs a read-only member initialized with " + needs + ")");
            return creation;
        }

        /// <summary>A decoder's layer count, its layer's type and whether the layer learns biases, from its creation.</summary>
        (int Layers, INamedTypeSymbol LayerType, bool Bias) DecoderStack(IInvocationOperation call, IObjectCreationOperation creation, string layerParameter)
        {
            var layers = creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "numLayers")?.Value.ConstantValue;
            var layer = Unwrap(creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == layerParameter)?.Value ?? creation);
            const string Unknown = " (unrolling a TransformerDecoder needs a read-only member initialized with new TransformerDecoder(new TransformerDecoderLayer(...), n) of a constant n and a constant bias, and a norm that is left out, null or a new LayerNorm)";
            if (layers is not { HasValue: true, Value: int count } || count < 0 || layer is not IObjectCreationOperation { Type: INamedTypeSymbol layerType } layerCreation
                || BiasOf(layerCreation) is not bool bias)
                throw Break(call, "the TransformerDecoder's layers are not known at build time" + Unknown);
            if (count > MaxUnroll)
                throw Break(call, "the TransformerDecoder has " + count + " layers (loops are unrolled up to " + MaxUnroll + ")");
            return (count, layerType, bias);
        }

        /// <summary>A stack's norm: null when left out or null, a <c>LayerNorm</c> when created in place; anything else is a graph break.</summary>
        INamedTypeSymbol? StackNorm(IInvocationOperation call, IObjectCreationOperation creation)
        {
            var norm = creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "norm");
            if (norm is null || norm.ArgumentKind == ArgumentKind.DefaultValue) return null;
            var value = Unwrap(norm.Value);
            if (value.ConstantValue is { HasValue: true, Value: null }) return null;
            if (value is IObjectCreationOperation { Type: INamedTypeSymbol created } && created.ToDisplayString() == "ShapeSafe.NN.LayerNorm") return created;
            throw Break(call, "the TransformerDecoder's norm is not known at build time (it must be left out, null or a new LayerNorm in the member's initializer)");
        }

        /// <summary>The <c>bias</c> a layer's creation passes (its default, true, when left out), or null when it is not a constant.</summary>
        static bool? BiasOf(IObjectCreationOperation creation)
        {
            var argument = creation.Arguments.FirstOrDefault(a => a.Parameter?.Name == "bias");
            if (argument is null || argument.ArgumentKind == ArgumentKind.DefaultValue) return true;
            return Constant(argument.Value) as bool?;
        }
    }
}
