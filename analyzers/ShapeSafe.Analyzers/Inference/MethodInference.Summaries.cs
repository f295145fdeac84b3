using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ShapeSafe.Analyzers.Inference
{
    // Calls of the project's own unannotated helpers (Tensor SplitHeads(Tensor x) => ...): the callee's body is
    // analyzed with the caller's argument values, silently, and what it returns is the call's value. Bounded by
    // depth, so helpers calling helpers stay cheap and recursion ends.
    internal sealed partial class MethodInference
    {
        /// <summary>How many helper bodies deep a summary may go (the caller's own body is depth 0).</summary>
        const int MaxSummaryDepth = 2;

        int _summaryDepth;
        bool _collectReturns;
        bool _returnSeen;
        Value? _returned;

        /// <summary>What a helper returns for the arguments in the key, and what it leaves in each of its <c>out</c> parameters (by ordinal).</summary>
        readonly Dictionary<string, (Value? Result, Value?[]? Outs)> _summaries = new(System.StringComparer.Ordinal);

        /// <summary>What the method's <c>out</c> parameters hold where it ends, joined over every way it ends (the reporting pass only).</summary>
        Value?[]? _outs;
        bool _outsSeen;

        void CollectOuts(FlowState state)
        {
            if (_owner is not IMethodSymbol method || !method.Parameters.Any(p => p.RefKind == RefKind.Out)) return;
            var outs = method.Parameters.Select(p => p.RefKind == RefKind.Out ? state.Get(p) : null).ToArray();
            if (_outsSeen)
                for (int i = 0; i < outs.Length; i++)
                    outs[i] = _outs![i] is { } before && outs[i] is { } now ? before.Join(now) : null;
            _outs = outs;
            _outsSeen = true;
        }

        void CollectReturn(Value? value)
        {
            _returned = !_returnSeen ? value : _returned is null || value is null ? null : _returned.Join(value);
            _returnSeen = true;
        }

        /// <summary>The value an unannotated source helper returns for these arguments, or null (unknown).</summary>
        Value? HelperCall(IMethodSymbol method, IInvocationOperation invocation, Value?[] arguments, FlowState state)
        {
            bool hasOuts = method.Parameters.Any(p => p.RefKind == RefKind.Out && Symbols.IsTensor(p.Type));
            if (_summaryDepth >= MaxSummaryDepth || !(Symbols.IsTensor(method.ReturnType) || IsTensorTuple(method.ReturnType) || hasOuts) || method.IsAbstract || method.IsVirtual || method.IsOverride
                || method.IsExtern || method.PartialImplementationPart is not null || SymbolEqualityComparer.Default.Equals(method, _owner)
                || !(invocation.Instance is null or IInstanceReferenceOperation) || !arguments.Any(a => a is TensorValue))
                return null;
            if (method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not { } syntax
                || syntax is not (MethodDeclarationSyntax or LocalFunctionStatementSyntax))
                return null;

            var key = SymbolKey(method) + "(" + string.Join("|", arguments.Select(Describe)) + ")";
            if (!_summaries.TryGetValue(key, out var summary))
            {
                _summaries[key] = (null, null); // recursion through this call is unknown
                _summaries[key] = summary = Summarize(method, syntax, arguments);
            }
            // Arguments() left the out arguments unknown; the helper's body says what it put there.
            if (summary.Outs is { } outs)
                foreach (var argument in invocation.Arguments)
                    if (argument.Parameter is { RefKind: RefKind.Out } p && p.Ordinal < outs.Length && outs[p.Ordinal] is TensorValue assigned)
                        Assign(argument.Value, assigned, argument.Value.Syntax, state);
            return summary.Result is TensorValue || summary.Result is SequenceValue && IsTensorTuple(method.ReturnType) ? summary.Result : null;
        }

        /// <summary>A tuple whose elements are all tensors: <c>(Tensor, Tensor)</c>, <c>(Tensor Q, Tensor K)</c>.</summary>
        bool IsTensorTuple(ITypeSymbol? type) =>
            type is INamedTypeSymbol { IsTupleType: true } tuple && tuple.TupleElements.All(e => Symbols.IsTensor(e.Type));

        (Value? Result, Value?[]? Outs) Summarize(IMethodSymbol method, SyntaxNode syntax, Value?[] arguments)
        {
            Value? result = null;
            Value?[]? outs = null;
            if (_data.BodyOf(syntax) is { Graph: var graph } helperBody)
            {
                var callee = new MethodInference(_data, method, report: null, helperBody.Untracked)
                {
                    Model = helperBody.Operation.SemanticModel,
                    AssumeContiguousParameters = AssumeContiguousParameters,
                    _summaryDepth = _summaryDepth + 1,
                };
                var state = new FlowState();
                for (int i = 0; i < method.Parameters.Length && i < arguments.Length; i++)
                    if (arguments[i] is { } value) state.Set(method.Parameters[i], value);
                callee.Analyze(graph, state);
                result = callee._returnSeen ? callee._returned : null;
                outs = callee._outsSeen ? callee._outs : null;
            }
            return (result, outs);
        }

        static string SymbolKey(IMethodSymbol method) => method.ToDisplayString() + "@" + (method.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0);

        static string Describe(Value? value) => value switch
        {
            null => "?",
            TensorValue t => t.FormatShape() + (t.HasLayout ? TensorValue.Format(t.Strides!, false) + "+" + t.Offset : ""),
            IntValue i => i.Dim.ToString(),
            _ => value.GetType().Name + value.GetHashCode(),
        };
    }
}
