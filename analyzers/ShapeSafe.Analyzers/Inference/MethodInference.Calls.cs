using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    // Calls: engine methods through their [ShapeContract] rule, methods with [Shape] parameters or returns,
    // layer Forward calls checked against the layer's [Dim] configuration, and Sequential chains.
    internal sealed partial class MethodInference
    {
        Value? Invocation(IInvocationOperation invocation, FlowState state)
        {
            var receiver = Eval(invocation.Instance, state);
            var method = invocation.TargetMethod;
            var arguments = Arguments(method, invocation.Arguments, state);

            if (method.Name == "Size" && arguments.Length == 1 && Symbols.IsTensor(method.ContainingType))
                return Size(receiver, arguments[0], invocation.Syntax);

            if (ContractOf(method) is { } rule)
            {
                var call = BuildCall(method, receiver, arguments);
                var result = ApplyRule(rule, call, invocation.Syntax);
                return ResultOf(method, result);
            }

            if (method.Name == "RegisterModule" && arguments.Length == 2 && Symbols.IsModule(method.ReturnType))
                return arguments[1];

            var module = receiver as ModuleValue ?? (invocation.Instance is null or IInstanceReferenceOperation ? Self() : null);
            if (receiver is ModuleValue { Children.IsDefault: false } sequential && method.Name == "Forward" && arguments.Length == 1)
                return SequentialForward(sequential, arguments[0], invocation);

            if (HasShapeAnnotations(method))
                return AnnotatedCall(method, module, arguments, invocation.Arguments, invocation.Syntax, null);
            return null;
        }

        /// <summary>Argument values by parameter position; ref and out arguments make their locals unknown.</summary>
        Value?[] Arguments(IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments, FlowState state)
        {
            var values = new Value?[method.Parameters.Length];
            foreach (var argument in arguments)
            {
                var value = Eval(argument.Value, state);
                if (argument.Parameter is not { } p || p.Ordinal >= values.Length) continue;
                values[p.Ordinal] = value;
                if (p.RefKind is RefKind.Ref or RefKind.Out)
                    Assign(argument.Value, null, argument.Syntax, state);
            }
            return values;
        }

        Value? Size(Value? receiver, Value? dim, SyntaxNode syntax)
        {
            if (receiver is not TensorValue { IsFullRank: true } t || dim is not IntValue d || !d.TryGetConstant(out int index)) return null;
            try
            {
                return new IntValue(t.Sizes[R.NormalizeDim("Size", index, t.Sizes.Length, t.Sizes)]);
            }
            catch (ShapeException e)
            {
                Report(DiagnosticDescriptors.DimOutOfRange, MemberLocation(syntax), null, null, e.Message);
                return null;
            }
        }

        string? ContractOf(IMethodSymbol method)
        {
            var attribute = EngineSymbols.Find(method.GetAttributes(), Symbols.ShapeContractAttribute)
                ?? (method.ReducedFrom is { } reduced ? EngineSymbols.Find(reduced.GetAttributes(), Symbols.ShapeContractAttribute) : null);
            return EngineSymbols.StringArgument(attribute);
        }

        RuleCall BuildCall(IMethodSymbol method, Value? receiver, Value?[] arguments)
        {
            var tensors = new List<Value?>();
            var others = new List<Value?>();
            var names = new List<string>();
            if (!method.IsStatic && Symbols.IsTensor(method.ContainingType)) tensors.Add(receiver);
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                if (Symbols.IsTensor(method.Parameters[i].Type)) tensors.Add(arguments[i]);
                else
                {
                    others.Add(arguments[i]);
                    names.Add(method.Parameters[i].Name);
                }
            }
            bool pair = method.ReturnType is INamedTypeSymbol { IsTupleType: true };
            return new RuleCall(OperationName(method), tensors, others, names, pair);
        }

        static string OperationName(IMethodSymbol method) => method.Name switch
        {
            "op_Addition" => "Add",
            "op_Subtraction" => "Sub",
            "op_Multiply" => "Mul",
            "op_Division" => "Div",
            "op_UnaryNegation" => "Neg",
            _ => method.Name,
        };

        /// <summary>Runs a rule; reports its refusal at the call.</summary>
        Value? ApplyRule(string rule, RuleCall call, SyntaxNode syntax)
        {
            var result = ContractRules.Apply(rule, call, out var error, out var id);
            if (error is not null && id is not null)
                Report(Descriptor(id), MemberLocation(syntax), null, null, error.Message);
            return result;
        }

        Value? ResultOf(IMethodSymbol method, Value? result)
        {
            if (result is TensorValue && Symbols.IsTensor(method.ReturnType)) return result;
            if (result is SequenceValue && (Symbols.IsTensorSequence(method.ReturnType) || method.ReturnType is INamedTypeSymbol { IsTupleType: true })) return result;
            return null;
        }

        static DiagnosticDescriptor Descriptor(string id) => id switch
        {
            DiagnosticIds.ViewOnIncompatibleLayout => DiagnosticDescriptors.ViewOnIncompatibleLayout,
            DiagnosticIds.MatrixProductMismatch => DiagnosticDescriptors.MatrixProductMismatch,
            DiagnosticIds.JoinMismatch => DiagnosticDescriptors.JoinMismatch,
            DiagnosticIds.ElementCountMismatch => DiagnosticDescriptors.ElementCountMismatch,
            DiagnosticIds.BroadcastMismatch => DiagnosticDescriptors.BroadcastMismatch,
            DiagnosticIds.LayerConfigurationMismatch => DiagnosticDescriptors.LayerConfigurationMismatch,
            DiagnosticIds.EmptyWindowOutput => DiagnosticDescriptors.EmptyWindowOutput,
            _ => DiagnosticDescriptors.DimOutOfRange,
        };

        // ---- operators ----

        Value? Binary(IMethodSymbol? operatorMethod, BinaryOperatorKind kind, IOperation left, IOperation right, SyntaxNode syntax, FlowState state)
        {
            var a = Eval(left, state);
            var b = Eval(right, state);
            if (operatorMethod is not null)
            {
                if (ContractOf(operatorMethod) is not { } rule) return null;
                var call = BuildCall(operatorMethod, null, new[] { a, b });
                return ResultOf(operatorMethod, ApplyRule(rule, call, syntax));
            }
            if (a is not IntValue x || b is not IntValue y) return null;
            try
            {
                switch (kind)
                {
                    case BinaryOperatorKind.Add: return new IntValue(x.Dim + y.Dim);
                    case BinaryOperatorKind.Subtract: return new IntValue(x.Dim - y.Dim);
                    case BinaryOperatorKind.Multiply: return new IntValue(x.Dim * y.Dim);
                    case BinaryOperatorKind.Divide:
                        // Sizes are not negative, so C#'s truncating division is a floor division.
                        if (y.Dim.IsZero) return null;
                        return new IntValue(default(SymbolicDims).TryDivideExact(x.Dim, y.Dim, out var q) == Truth.True ? q : Dim.FloorDivide(x.Dim, y.Dim));
                    default: return null;
                }
            }
            catch (System.ArithmeticException)
            {
                return null;
            }
        }

        Value? Unary(IUnaryOperation unary, FlowState state)
        {
            var operand = Eval(unary.Operand, state);
            if (unary.OperatorMethod is { } method)
            {
                if (ContractOf(method) is not { } rule) return null;
                return ResultOf(method, ApplyRule(rule, BuildCall(method, null, new[] { operand }), unary.Syntax));
            }
            if (unary.OperatorKind == UnaryOperatorKind.Minus && operand is IntValue i) return new IntValue(-i.Dim);
            if (unary.OperatorKind == UnaryOperatorKind.Plus) return operand;
            return null;
        }

        // ---- modules ----

        Value? ModuleCreation(IObjectCreationOperation creation, FlowState state)
        {
            var constructor = creation.Constructor;
            var arguments = constructor is null ? new Value?[0] : Arguments(constructor, creation.Arguments, state);
            Eval(creation.Initializer, state);
            if (constructor is null || creation.Type is not INamedTypeSymbol type || !Symbols.IsModule(type)) return null;

            var bindings = ImmutableDictionary<string, DimBinding>.Empty;
            foreach (var argument in creation.Arguments)
            {
                if (argument.Parameter is not { } p) continue;
                var name = EngineSymbols.StringArgument(EngineSymbols.Find(p.GetAttributes(), Symbols.DimAttribute));
                if (name is null || !Dim.IsIdentifier(name) || arguments[p.Ordinal] is not IntValue size) continue;
                bindings = bindings.SetItem(name, new DimBinding(size.Dim, argument.IsImplicit ? null : argument.Value.Syntax.GetLocation()));
            }

            var children = default(ImmutableArray<ModuleValue?>);
            if (Symbols.Sequential is { } sequential && InheritsFrom(type, sequential)
                && constructor.Parameters.Length == 1 && constructor.Parameters[0].IsParams && arguments[0] is SequenceValue modules)
                children = modules.Elements.Select(e => e as ModuleValue).ToImmutableArray();
            return new ModuleValue(type, bindings, children);
        }

        static bool InheritsFrom(ITypeSymbol type, ITypeSymbol baseType)
        {
            for (var t = type; t is not null; t = t.BaseType)
                if (SymbolEqualityComparer.Default.Equals(t, baseType)) return true;
            return false;
        }

        bool HasShapeAnnotations(IMethodSymbol method)
        {
            if (Symbols.ShapeAttribute is null) return false;
            if (EngineSymbols.Find(method.GetReturnTypeAttributes(), Symbols.ShapeAttribute) is not null) return true;
            foreach (var p in method.Parameters)
                if (EngineSymbols.Find(p.GetAttributes(), Symbols.ShapeAttribute) is not null) return true;
            return false;
        }

        /// <summary>
        /// A call of a method whose parameters or return carry [Shape]: each argument is matched in the callee's
        /// scope (its names bind to the caller's dims, a module's [Dim] names to its constructor arguments), and the
        /// return annotation gives the result.
        /// </summary>
        Value? AnnotatedCall(IMethodSymbol method, ModuleValue? module, Value?[] arguments, ImmutableArray<IArgumentOperation> argumentOperations,
            SyntaxNode callSyntax, string? layerDescription, SyntaxNode? inputSyntax = null)
        {
            var bindings = new CallBindings(module);
            for (int i = 0; i < method.Parameters.Length; i++)
            {
                var p = method.Parameters[i];
                if (arguments[i] is not TensorValue tensor || !Symbols.IsTensor(p.Type)) continue;
                var annotation = ShapeAnnotation.From(p.GetAttributes(), Symbols);
                if (annotation is null) continue;
                var mismatch = ShapeMatcher.Match(tensor, annotation, bindings);
                if (mismatch is null) continue;

                var argumentSyntax = argumentOperations.FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.Parameter, p))?.Syntax ?? inputSyntax ?? callSyntax;
                var location = argumentSyntax is ArgumentSyntax argument ? argument.Expression.GetLocation() : argumentSyntax.GetLocation();
                string callee = layerDescription ?? method.ContainingType.Name + "." + method.Name;
                if (mismatch.LayerDimName is { } layerDim && module is not null && module.Bindings.TryGetValue(layerDim, out var binding))
                {
                    var properties = ImmutableDictionary<string, string?>.Empty;
                    var actual = TryActualFor(annotation, tensor, layerDim);
                    if (actual is not null) properties = properties.Add(PropertyNames.InferredSize, actual);
                    Report(DiagnosticDescriptors.LayerConfigurationMismatch, location,
                        binding.ArgumentLocation is null ? null : new[] { binding.ArgumentLocation }, properties,
                        $"{callee}: input {tensor.FormatShape()} does not fit the layer ({layerDim} = {binding.Dim}): {mismatch.Detail}");
                }
                else
                {
                    ReportAnnotationMismatch(location,
                        $"{callee}: argument '{p.Name}' {tensor.FormatShape()} does not match [Shape(\"{annotation.Text}\")]: {mismatch.Detail}",
                        tensor, annotation);
                }
                return null; // the call's result is unknown once its input is wrong
            }
            if (!Symbols.IsTensor(method.ReturnType)) return null;
            var returned = ShapeAnnotation.From(method.GetReturnTypeAttributes(), Symbols);
            if (returned is null) return null;
            var result = ShapeMatcher.Instantiate(returned, bindings);
            for (int i = 0; i < result.Sizes.Length; i++)
            {
                // A declared output size such as H - K + 1 that is provably below 1: the window does not fit.
                if (default(SymbolicDims).Less(result.Sizes[i], Dim.One) != Truth.True) continue;
                string callee = layerDescription ?? method.ContainingType.Name + "." + method.Name;
                var input = argumentOperations.FirstOrDefault()?.Syntax ?? inputSyntax ?? callSyntax;
                Report(DiagnosticDescriptors.EmptyWindowOutput, input is ArgumentSyntax a ? a.Expression.GetLocation() : input.GetLocation(), null, null,
                    $"{callee}: output size {result.Sizes[i]} at dim {i} is empty for input {TensorValue.Format(arguments.OfType<TensorValue>().FirstOrDefault()?.Sizes ?? new Dim[0], false)} (declared [{returned.Text}])");
                return null;
            }
            return result;
        }

        /// <summary>For SS0008's fix: the argument's size at the entry that is exactly the layer dim (<c>..., In</c> → the last size).</summary>
        static string? TryActualFor(ShapeAnnotation annotation, TensorValue tensor, string layerDim)
        {
            var entries = annotation.Entries;
            for (int i = 0; i < entries.Count; i++)
            {
                if (entries[i].Dim is not { } d || !d.TryGetName(out var name) || name != layerDim) continue;
                int fromEnd = entries.Count - i;
                if (fromEnd > tensor.Sizes.Length) return null;
                var size = tensor.Sizes[tensor.Sizes.Length - fromEnd];
                return size.TryGetConstant(out long v) ? v.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            }
            return null;
        }

        /// <summary><c>seq.Forward(x)</c>: each child's Forward in turn, each checked against its configuration.</summary>
        Value? SequentialForward(ModuleValue sequential, Value? input, IInvocationOperation invocation)
        {
            var x = input;
            for (int i = 0; i < sequential.Children.Length; i++)
            {
                var child = sequential.Children[i];
                if (child is null || x is not TensorValue) return null;
                var forward = FindForward(child.Type);
                if (forward is null) return null;
                x = AnnotatedCall(forward, child, new[] { x }, invocation.Arguments, invocation.Syntax,
                    $"{sequential.Type.Name}[{i}] ({child.Type.Name}).Forward", invocation.Arguments.FirstOrDefault()?.Syntax);
            }
            return x;
        }

        IMethodSymbol? FindForward(INamedTypeSymbol type)
        {
            for (var t = type; t is not null; t = t.BaseType)
                foreach (var m in t.GetMembers("Forward"))
                    if (m is IMethodSymbol { Parameters.Length: 1 } forward && Symbols.IsTensor(forward.Parameters[0].Type)) return forward;
            return null;
        }
    }
}
