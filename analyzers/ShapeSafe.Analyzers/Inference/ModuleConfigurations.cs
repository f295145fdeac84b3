using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.FlowAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>
    /// The configuration of the module each field or property of a module class holds: the <c>new Linear(784, hidden)</c>
    /// in its initializer or in the class's constructors (directly or through <c>RegisterModule</c>), with
    /// <c>[Dim("H")] int hidden</c> read as the name H. Known only when every creation agrees. Computed once per member.
    /// Read-only int and tensor members set there (<c>_heads = 8</c>, <c>_mask = Tensor.Ones(t, t)</c>) are read the same way.
    /// </summary>
    internal sealed class ModuleConfigurations
    {
        readonly Compilation _compilation;
        readonly ConcurrentDictionary<ISymbol, Value?> _cache = new(SymbolEqualityComparer.Default);
        AnalysisContextData? _data;

        public ModuleConfigurations(Compilation compilation) => _compilation = compilation;

        internal void Attach(AnalysisContextData data) => _data = data;

        /// <summary>The module (or the sequence of modules: an array, a list) <paramref name="member"/> holds, or null.</summary>
        public Value? Get(ISymbol member)
        {
            if (_cache.TryGetValue(member, out var known)) return known;
            // A member whose creation reads itself (_scale = _scale * 2) is unknown rather than a endless recursion.
            var computing = t_computing ??= new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            if (!computing.Add(member)) return null;
            try
            {
                return _cache.GetOrAdd(member, Compute(member));
            }
            finally
            {
                computing.Remove(member);
            }
        }

        [System.ThreadStatic] static HashSet<ISymbol>? t_computing;

        Value? Compute(ISymbol member)
        {
            if (_data is null || member.ContainingType is not { } type) return null;
            var creations = new List<IOperation>();
            bool opaque = false;

            foreach (var reference in member.DeclaringSyntaxReferences)
            {
                var syntax = reference.GetSyntax();
                var initializer = syntax switch
                {
                    VariableDeclaratorSyntax v => v.Initializer?.Value,
                    PropertyDeclarationSyntax p => p.Initializer?.Value,
                    _ => null,
                };
                if (initializer is not null && OperationOf(initializer) is { } op) creations.Add(op);
            }

            foreach (var constructor in type.InstanceConstructors)
            {
                foreach (var assignment in AssignmentsIn(constructor))
                {
                    if (!SymbolEqualityComparer.Default.Equals(assignment.Target, member)) continue;
                    if (assignment.Value is { } value) creations.Add(value);
                    else opaque = true;
                }
            }
            if (opaque || creations.Count == 0) return null;

            Value? result = null;
            foreach (var creation in creations)
            {
                var owner = creation.SemanticModel?.GetEnclosingSymbol(creation.Syntax.SpanStart) ?? member;
                var inference = new MethodInference(_data, owner, report: null);
                var state = owner is IMethodSymbol method ? inference.InitialState(method.Parameters) : new FlowState();
                var value = inference.Eval(creation, state);
                if (value is not (ModuleValue or SequenceValue or UniformSequenceValue or IntValue or TensorValue)) return null;
                if (result is null) result = value;
                else if (!result.Equals(value)) return null;
            }
            // What a container holds is known only if nothing can add to it later.
            if (result is ModuleValue { Children.IsDefault: false } or ModuleValue { UniformChild: not null } && MayChangeContents(member))
                result = WithoutChildren((ModuleValue)result);
            else if (result is SequenceValue or UniformSequenceValue && MayChangeContents(member))
                result = null;
            return result;
        }

        static ModuleValue WithoutChildren(ModuleValue m) => new(m.Type, m.Bindings, default, m.IsSelf, m.Arguments);

        static readonly HashSet<string> s_mutators = new(System.StringComparer.Ordinal) { "Add", "AddRange", "Extend", "Insert", "RemoveAt", "Append", "Clear", "Remove", "Reverse", "Sort" };

        /// <summary>
        /// Whether the contents of the container <paramref name="member"/> holds may change after its creation: it is
        /// visible outside its class, or the class calls Add/Insert/... on it or assigns its elements.
        /// </summary>
        static bool MayChangeContents(ISymbol member)
        {
            if (member.DeclaredAccessibility != Accessibility.Private) return true;
            foreach (var reference in member.ContainingType.DeclaringSyntaxReferences)
            {
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    switch (node)
                    {
                        case MemberAccessExpressionSyntax access when s_mutators.Contains(access.Name.Identifier.ValueText) && Names(access.Expression, member.Name):
                            return true;
                        case ElementAccessExpressionSyntax element when Names(element.Expression, member.Name)
                            && element.Parent is AssignmentExpressionSyntax assignment && assignment.Left == element:
                            return true;
                        case ArgumentSyntax { RefKindKeyword.RawKind: not 0 } argument when Names(argument.Expression, member.Name):
                            return true;
                    }
                }
            }
            return false;
        }

        static bool Names(ExpressionSyntax expression, string name) => expression switch
        {
            IdentifierNameSyntax id => id.Identifier.ValueText == name,
            MemberAccessExpressionSyntax { Expression: ThisExpressionSyntax } m => m.Name.Identifier.ValueText == name,
            _ => false,
        };

        readonly struct MemberAssignment
        {
            public MemberAssignment(ISymbol target, IOperation? value)
            {
                Target = target;
                Value = value;
            }

            public ISymbol Target { get; }
            public IOperation? Value { get; }
        }

        readonly ConcurrentDictionary<IMethodSymbol, List<MemberAssignment>> _constructors = new(SymbolEqualityComparer.Default);

        /// <summary>The field and property assignments of a constructor, bound once for all of its class's members.</summary>
        List<MemberAssignment> AssignmentsIn(IMethodSymbol constructor) => _constructors.GetOrAdd(constructor, c =>
        {
            var result = new List<MemberAssignment>();
            foreach (var reference in c.DeclaringSyntaxReferences)
            {
                if (OperationOf(reference.GetSyntax()) is not { } body) continue;
                foreach (var assignment in body.Descendants().OfType<ISimpleAssignmentOperation>())
                {
                    ISymbol? target = assignment.Target switch
                    {
                        IFieldReferenceOperation f => f.Field,
                        IPropertyReferenceOperation p => p.Property,
                        _ => null,
                    };
                    if (target is not null) result.Add(new MemberAssignment(target, assignment.Value));
                }
            }
            return result;
        });

        readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new();

        internal IOperation? OperationOf(SyntaxNode syntax)
        {
            if (!_compilation.ContainsSyntaxTree(syntax.SyntaxTree)) return null;
#pragma warning disable RS1030 // A module's configuration lives in its constructor, usually not the method being analyzed; one model per tree, each constructor bound once.
            var model = _models.GetOrAdd(syntax.SyntaxTree, t => _compilation.GetSemanticModel(t));
#pragma warning restore RS1030
            return model.GetOperation(syntax);
        }
    }

    /// <summary>What every analysis in one compilation shares: the engine's symbols and the module configurations.</summary>
    internal sealed class AnalysisContextData
    {
        public AnalysisContextData(EngineSymbols symbols, ModuleConfigurations modules)
        {
            Symbols = symbols;
            Modules = modules;
            modules.Attach(this);
        }

        public EngineSymbols Symbols { get; }
        public ModuleConfigurations Modules { get; }

        /// <summary>Each method's [ShapeContract] rule (or null), read once per compilation.</summary>
        public ConcurrentDictionary<IMethodSymbol, string?> Contracts { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>What each module Forward reports when analyzed on its own (its generic sizes), for the per-creation checks.</summary>
        public ConcurrentDictionary<IMethodSymbol, HashSet<(string Id, Location Location)>> OwnReports { get; } = new(SymbolEqualityComparer.Default);

        /// <summary>Whether each method has [Shape] on a parameter or its return, read once per compilation.</summary>
        public ConcurrentDictionary<IMethodSymbol, bool> Annotated { get; } = new(SymbolEqualityComparer.Default);

        readonly ConcurrentDictionary<SyntaxNode, BodyGraph?> _bodies = new();

        /// <summary>
        /// The bound body, control-flow graph and delegate-assigned locals of a method or constructor declaration that
        /// the inference runs besides the method under analysis (a module's Forward and constructor at each creation
        /// site, a helper at each call): built once per body, not once per site. Null for a body the graph builder refuses.
        /// </summary>
        public BodyGraph? BodyOf(SyntaxNode declaration) =>
            _bodies.TryGetValue(declaration, out var known) ? known : _bodies.GetOrAdd(declaration, BuildBody);

        BodyGraph? BuildBody(SyntaxNode syntax)
        {
            var operation = Modules.OperationOf(syntax);
            try
            {
                return operation switch
                {
                    IMethodBodyOperation method => new BodyGraph(method, ControlFlowGraph.Create(method)),
                    IConstructorBodyOperation constructor => new BodyGraph(constructor, ControlFlowGraph.Create(constructor)),
                    // A local function's graph comes from the graph of the method it is declared in.
                    ILocalFunctionOperation local when syntax.Ancestors().OfType<BaseMethodDeclarationSyntax>().FirstOrDefault() is { } outer
                        && Modules.OperationOf(outer) is IMethodBodyOperation body
                        && LocalFunctionGraph(ControlFlowGraph.Create(body), local.Symbol) is { } graph => new BodyGraph(local, graph),
                    _ => null,
                };
            }
            catch (System.ArgumentException)
            {
                return null; // a body with errors the graph builder refuses
            }
        }

        /// <summary>The graph of <paramref name="function"/>, declared in <paramref name="outer"/> or in a local function nested in it.</summary>
        static ControlFlowGraph? LocalFunctionGraph(ControlFlowGraph outer, IMethodSymbol function)
        {
            foreach (var local in outer.LocalFunctions)
            {
                var graph = outer.GetLocalFunctionControlFlowGraph(local);
                if (SymbolEqualityComparer.Default.Equals(local, function)) return graph;
                if (LocalFunctionGraph(graph, function) is { } nested) return nested;
            }
            return null;
        }

        /// <summary>Rules applied to plain values whose results hold no fresh unknown (see MethodInference.ApplyRule).</summary>
        public ConcurrentDictionary<MethodInference.SharedRuleKey, (Value? Result, ShapeSafe.ShapeException? Error, string? Id, string? Condition)> Rules { get; } = new();

        /// <summary>What a constructor assigns to its instance's members for given argument values (see MethodInference.ConstructorFields).</summary>
        public ConcurrentDictionary<ConstructorRunKey, Dictionary<ISymbol, Value?>?> ConstructorRuns { get; } = new();
    }

    /// <summary>A body the inference runs: its operation, its control-flow graph and the locals lambdas in it assign (never tracked).</summary>
    internal sealed class BodyGraph
    {
        public BodyGraph(IOperation operation, ControlFlowGraph graph)
        {
            Operation = operation;
            Graph = graph;
            Untracked = ShapeAnalyzer.CapturedAndAssigned(operation);
        }

        public IOperation Operation { get; }
        public ControlFlowGraph Graph { get; }

        /// <summary>Read only once built: inferences on several threads share it.</summary>
        public HashSet<ISymbol> Untracked { get; }
    }

    /// <summary>
    /// A constructor run with argument values that carry nothing of the site they come from (ints, strings, plain
    /// shapes: no module with its argument locations, no tensor layout with the call that made it), so the fields
    /// it gives are the same at every site.
    /// </summary>
    internal readonly struct ConstructorRunKey : System.IEquatable<ConstructorRunKey>
    {
        readonly IMethodSymbol _constructor;
        readonly Value?[] _arguments;
        readonly bool _assumeContiguous;
        readonly int _depth;
        readonly int _hash;

        ConstructorRunKey(IMethodSymbol constructor, Value?[] arguments, bool assumeContiguous, int depth)
        {
            _constructor = constructor;
            _arguments = arguments;
            _assumeContiguous = assumeContiguous;
            _depth = depth;
            int h = SymbolEqualityComparer.Default.GetHashCode(constructor) * 31 + (assumeContiguous ? 1 : 0) * 7 + depth;
            foreach (var a in arguments) h = unchecked(h * 31 + (a?.GetHashCode() ?? 1));
            _hash = h;
        }

        /// <summary>The key of this run, or null when an argument may hold something of its site. It holds <paramref name="arguments"/>: see <see cref="Stored"/>.</summary>
        public static ConstructorRunKey? For(IMethodSymbol constructor, Value?[] arguments, bool assumeContiguous, int depth)
        {
            foreach (var a in arguments)
                if (!SiteFree(a)) return null;
            return new ConstructorRunKey(constructor, arguments, assumeContiguous, depth);
        }

        /// <summary>The same key over its own copy of the arguments, to keep in the cache (the caller's array is its own).</summary>
        public ConstructorRunKey Stored() => new(_constructor, (Value?[])_arguments.Clone(), _assumeContiguous, _depth);

        static bool SiteFree(Value? value) => value switch
        {
            null or IntValue or StringValue or DoubleValue or BoolValue or NullValue or UnknownValue => true,
            TensorValue t => !t.HasLayout,
            SequenceValue s => s.Elements.All(SiteFree),
            _ => false,
        };

        public bool Equals(ConstructorRunKey other)
        {
            if (_hash != other._hash || _assumeContiguous != other._assumeContiguous || _depth != other._depth
                || !SymbolEqualityComparer.Default.Equals(_constructor, other._constructor) || _arguments.Length != other._arguments.Length)
                return false;
            for (int i = 0; i < _arguments.Length; i++)
                if (!(_arguments[i] is null ? other._arguments[i] is null : other._arguments[i] is not null && _arguments[i]!.Equals(other._arguments[i])))
                    return false;
            return true;
        }

        public override bool Equals(object? obj) => obj is ConstructorRunKey k && Equals(k);
        public override int GetHashCode() => _hash;
    }
}
