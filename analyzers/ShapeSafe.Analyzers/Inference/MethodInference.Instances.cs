using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    // A module checked for the sizes it is built with: where the project creates one of its own modules with constants
    // (new Bottleneck(256, 64)), the constructor runs with those arguments to give the module's fields, and its Forward
    // runs with them. What fails there for every input size, and not in Forward's own generic analysis, is reported at
    // the creation, pointing at the failing line in Forward as well.
    internal sealed partial class MethodInference
    {
        /// <summary>Report only refusals that hold whatever sizes the names stand for (the per-creation run of a Forward).</summary>
        public bool UnconditionalOnly { get; set; }

        /// <summary>The fields of the configured instance whose Forward this inference runs, or null (the class's own view).</summary>
        Dictionary<ISymbol, Value?>? _instanceFields;

        /// <summary>Where a constructor run records what it assigns to the instance's fields and properties.</summary>
        Dictionary<ISymbol, Value?>? _fieldSink;

        /// <summary>Creation sites already checked (the reporting pass may visit one several times).</summary>
        HashSet<SyntaxNode>? _checkedSites;

        /// <summary>The value a member of this module holds: the configured instance's, else what every constructor agrees on.</summary>
        Value? Held(ISymbol member) =>
            _instanceFields is not null && _instanceFields.TryGetValue(member, out var value) ? value : _data.Modules.Get(member);

        void Record(ISymbol member, IOperation? instance, Value? value)
        {
            if (_fieldSink is null || !_collectReturns || instance is not (null or IInstanceReferenceOperation)) return;
            // Assigned on several paths with different values: unknown.
            _fieldSink[member] = _fieldSink.TryGetValue(member, out var earlier) && !(earlier is not null && value is not null && earlier.Equals(value)) ? null : value;
        }

        /// <summary>Evaluates a field or property initializer where it is written (its creations are checked).</summary>
        public void CheckInitializer(IOperation value)
        {
            _reporting = _report is not null;
            try
            {
                Eval(value, new FlowState());
            }
            catch (System.InsufficientExecutionStackException)
            {
            }
            finally
            {
                _reporting = false;
            }
        }

        /// <summary>
        /// At <paramref name="creation"/> of a source module with some constant arguments: its Forward with the fields
        /// its constructor gives for them and the input its annotations declare, constructor [Dim] names replaced by
        /// the constants.
        /// </summary>
        void CheckAtCreation(IObjectCreationOperation creation, INamedTypeSymbol type, IMethodSymbol constructor, Value?[] arguments,
            ImmutableDictionary<string, DimBinding> bindings, ImmutableDictionary<string, Value> named)
        {
            if (!_reporting || _report is null || _summaryDepth > 0 || UnconditionalOnly || type.DeclaringSyntaxReferences.Length == 0) return;
            if (!arguments.Any(a => a is IntValue i && i.Dim.IsConstant)) return;
            if (!(_checkedSites ??= new HashSet<SyntaxNode>()).Add(creation.Syntax)) return;
            if (FindForward(type) is not { DeclaringSyntaxReferences.Length: > 0 } forward || forward.IsAbstract) return;
            if (forward.DeclaringSyntaxReferences[0].GetSyntax() is not MethodDeclarationSyntax forwardSyntax
                || _data.BodyOf(forwardSyntax) is not { Operation: IMethodBodyOperation body, Graph: var graph } forwardBody)
                return;
            var fields = ConstructorFields(constructor, arguments);
            if (fields is null) return;

            var constants = bindings.Where(b => b.Value.Dim.IsConstant).ToList();
            var instance = new ModuleValue(type, bindings.SetItems(constants.Select(b => new KeyValuePair<string, DimBinding>(b.Key, new DimBinding(b.Value.Dim, null)))),
                isSelf: true, arguments: named);
            var found = new List<Diagnostic>();
            var inner = new MethodInference(_data, forward, found.Add, forwardBody.Untracked)
            {
                Model = body.SemanticModel,
                AssumeContiguousParameters = AssumeContiguousParameters,
                UnconditionalOnly = true,
                _summaryDepth = 1,
                _instanceFields = fields,
                _self = instance,
                _selfResolved = true,
            };
            var state = new FlowState();
            foreach (var p in forward.Parameters)
            {
                var value = inner.ParameterValue(p);
                foreach (var b in constants) value = ContractRules.Replace(value, b.Key, b.Value.Dim);
                state.Set(p, value);
            }
            inner.Analyze(graph, state);
            if (found.Count == 0) return;

            var own = _data.OwnReports.GetOrAdd(forward, _ => OwnReportsOf(forward, forwardBody));
            string site = type.Name + ((creation.Syntax as BaseObjectCreationExpressionSyntax)?.ArgumentList?.ToString() ?? "()");
            foreach (var d in found)
            {
                if (own.Contains((d.Id, d.Location))) continue;
                Report(d.Descriptor, creation.Syntax.GetLocation(), new[] { d.Location }.Concat(d.AdditionalLocations), null,
                    $"{site}: {d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}");
            }
        }

        /// <summary>What <paramref name="forward"/>'s own analysis reports (its [Dim] names generic).</summary>
        HashSet<(string, Location)> OwnReportsOf(IMethodSymbol forward, BodyGraph body)
        {
            var result = new HashSet<(string, Location)>();
            var own = new MethodInference(_data, forward, d => result.Add((d.Id, d.Location)), body.Untracked)
            {
                Model = body.Operation.SemanticModel,
                AssumeContiguousParameters = AssumeContiguousParameters,
            };
            own.Analyze(body.Graph, own.InitialState(forward.Parameters));
            return result;
        }

        /// <summary>
        /// The fields and properties <paramref name="constructor"/> assigns when called with <paramref name="arguments"/>. The same
        /// constructor with the same site-free arguments (<c>new Dense(64, 10)</c> in every block) runs once per compilation.
        /// </summary>
        Dictionary<ISymbol, Value?>? ConstructorFields(IMethodSymbol constructor, Value?[] arguments)
        {
            if (ConstructorRunKey.For(constructor, arguments, AssumeContiguousParameters, _summaryDepth) is not { } key)
                return RunConstructor(constructor, arguments);
            if (_data.ConstructorRuns.TryGetValue(key, out var known)) return known;
            return _data.ConstructorRuns.GetOrAdd(key.Stored(), RunConstructor(constructor, arguments));
        }

        Dictionary<ISymbol, Value?>? RunConstructor(IMethodSymbol constructor, Value?[] arguments)
        {
            if (constructor.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax() is not ConstructorDeclarationSyntax syntax
                || _data.BodyOf(syntax) is not { Operation: IConstructorBodyOperation body, Graph: var graph } constructorBody)
                return null;
            var run = new MethodInference(_data, constructor, report: null, constructorBody.Untracked)
            {
                Model = body.SemanticModel,
                AssumeContiguousParameters = AssumeContiguousParameters,
                _summaryDepth = _summaryDepth + 1,
                _fieldSink = new Dictionary<ISymbol, Value?>(SymbolEqualityComparer.Default),
            };
            var state = new FlowState();
            for (int i = 0; i < constructor.Parameters.Length && i < arguments.Length; i++)
                if (arguments[i] is { } value and not UnknownValue) state.Set(constructor.Parameters[i], value);
            run.Analyze(graph, state);
            return run._fieldSink;
        }
    }
}
