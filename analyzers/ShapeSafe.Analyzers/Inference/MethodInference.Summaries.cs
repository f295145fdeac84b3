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

        readonly Dictionary<string, Value?> _summaries = new(System.StringComparer.Ordinal);

        void CollectReturn(Value? value)
        {
            _returned = !_returnSeen ? value : _returned is null || value is null ? null : _returned.Join(value);
            _returnSeen = true;
        }

        /// <summary>The value an unannotated source helper returns for these arguments, or null (unknown).</summary>
        Value? HelperCall(IMethodSymbol method, IInvocationOperation invocation, Value?[] arguments)
        {
            if (_summaryDepth >= MaxSummaryDepth || !Symbols.IsTensor(method.ReturnType) || method.IsAbstract || method.IsVirtual || method.IsOverride
                || method.IsExtern || method.PartialImplementationPart is not null || SymbolEqualityComparer.Default.Equals(method, _owner)
                || !(invocation.Instance is null or IInstanceReferenceOperation) || !arguments.Any(a => a is TensorValue))
                return null;
            if (method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not { } syntax
                || syntax is not (MethodDeclarationSyntax or LocalFunctionStatementSyntax))
                return null;

            var key = SymbolKey(method) + "(" + string.Join("|", arguments.Select(Describe)) + ")";
            if (_summaries.TryGetValue(key, out var known)) return known;
            _summaries[key] = null; // recursion through this call is unknown

            Value? result = null;
            if (_data.BodyOf(syntax) is { Operation: IMethodBodyOperation body, Graph: var graph } helperBody)
            {
                var callee = new MethodInference(_data, method, report: null, helperBody.Untracked)
                {
                    Model = body.SemanticModel,
                    AssumeContiguousParameters = AssumeContiguousParameters,
                    _summaryDepth = _summaryDepth + 1,
                };
                var state = new FlowState();
                for (int i = 0; i < method.Parameters.Length && i < arguments.Length; i++)
                    if (arguments[i] is { } value) state.Set(method.Parameters[i], value);
                callee.Analyze(graph, state);
                result = callee._returnSeen ? callee._returned : null;
            }
            _summaries[key] = result;
            return result is TensorValue ? result : null;
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
