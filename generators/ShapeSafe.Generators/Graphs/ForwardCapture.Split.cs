using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// A <c>Forward</c> split at its graph breaks, as TorchDynamo splits one: its top-level statements are taken in
    /// order, each run of statements that compiles becomes a graph of its own (with its own autograd node, plan and
    /// buffers), and each statement that breaks runs eagerly between them, as written (TorchDynamo's resume functions).
    /// The values a graph computes that later statements read are its output; those it reads from earlier statements
    /// are its inputs, any number of them, in declaration order. A graph hands on one output today: a run of statements
    /// that computes more values later code reads, computes nothing later code reads, or branches on <c>Training</c> or
    /// an option, runs eagerly too.
    /// </summary>
    internal sealed partial class ForwardCapture
    {
        /// <summary>The names the split <c>Forward</c> may give the parameter that holds the compiled graphs, in order of preference.</summary>
        static readonly string[] GraphsParameterNames = { "graphs", "compiledGraphs", "splitGraphs" };

        /// <summary>One part of a split <c>Forward</c>: top-level statements that run as one compiled graph, or eagerly.</summary>
        internal sealed class CapturedPart
        {
            /// <summary>The statements, as written (one entry per line, indented as in the source, relative to the first).</summary>
            public IReadOnlyList<string> Code { get; set; } = Array.Empty<string>();

            /// <summary>Where they are: <c>Net.cs(12-14)</c>.</summary>
            public string Lines { get; set; } = "";

            /// <summary>The first line (1-based) and the last.</summary>
            public int FirstLine { get; set; }

            public int LastLine { get; set; }

            /// <summary>For an eager part: why it runs eagerly (the break's reason with its line); else empty.</summary>
            public string Reason { get; set; } = "";

            /// <summary>Whether the part runs eagerly because it breaks the graph (rather than because a graph of it cannot hand its values on).</summary>
            public bool IsBreak { get; set; }

            /// <summary>Where the break is.</summary>
            public Location? Location { get; set; }

            /// <summary>For a compiled part: its graph, and where each node was found.</summary>
            public CapturedGraph? Graph { get; set; }

            public IReadOnlyList<bool> Inlined { get; set; } = Array.Empty<bool>();

            public IReadOnlyList<Location?> Locations { get; set; } = Array.Empty<Location?>();

            /// <summary>The graph's inputs: the parameters and locals it reads from earlier statements, in the graph's input order.</summary>
            public IReadOnlyList<ISymbol> Inputs { get; set; } = Array.Empty<ISymbol>();

            /// <summary>By input: the parameter of <c>Forward</c> whose <c>[Shape]</c> annotation it has (null for a local, or a parameter an earlier statement assigns).</summary>
            public IReadOnlyList<IParameterSymbol?> Annotated { get; set; } = Array.Empty<IParameterSymbol?>();

            /// <summary>The local or parameter the graph's output is assigned to, or null when the part ends in the <c>return</c>.</summary>
            public ISymbol? Output { get; set; }

            /// <summary>Whether the part declares <see cref="Output"/> (so the split <c>Forward</c> declares it with the call).</summary>
            public bool DeclaresOutput { get; set; }

            /// <summary>Locals the part declares that later statements assign before they read them (declared without a value before the call).</summary>
            public IReadOnlyList<ISymbol> DeclaredForLater { get; set; } = Array.Empty<ISymbol>();

            /// <summary>Locals declared before the part that the part assigns first (declared in the part's eager form).</summary>
            public IReadOnlyList<ISymbol> AssignedFirst { get; set; } = Array.Empty<ISymbol>();
        }

        /// <summary>What <see cref="Split"/> found: the parts in order, or why the module cannot split.</summary>
        internal sealed class SplitCapture
        {
            public SplitCapture(IReadOnlyList<CapturedPart> parts, string graphsParameter, IReadOnlyList<string> usings, IReadOnlyList<string> namespaceUsings)
            {
                Parts = parts;
                GraphsParameter = graphsParameter;
                Usings = usings;
                NamespaceUsings = namespaceUsings;
            }

            public IReadOnlyList<CapturedPart> Parts { get; }

            /// <summary>The name of the split <c>Forward</c>'s parameter that holds the compiled graphs.</summary>
            public string GraphsParameter { get; }

            /// <summary>The using directives of the file that declares <c>Forward</c>, which its eager statements are written against.</summary>
            public IReadOnlyList<string> Usings { get; }

            /// <summary>The using directives of the namespace declaration that holds the class in that file.</summary>
            public IReadOnlyList<string> NamespaceUsings { get; }
        }

        /// <summary>
        /// Splits <paramref name="forward"/> at its graph breaks, or null when it cannot split: an expression body, a
        /// single statement, no run of statements that compiles into a graph, or names the split code would take.
        /// </summary>
        public static SplitCapture? Split(IMethodSymbol forward, ModuleTypes types, Compilation compilation, CancellationToken cancellationToken)
        {
            var syntax = forward.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as MethodDeclarationSyntax;
            if (syntax?.Body is not { } body || body.Statements.Count < 2) return null;
            // Eager code is written in a method of the module's partial class, as it is in Forward: a generic Forward's
            // type parameters and local functions would not be in scope there.
            if (body.Statements.Any(s => s is LocalFunctionStatementSyntax)) return null;
            var identifiers = new HashSet<string>(body.DescendantTokens().Where(t => t.IsKind(SyntaxKind.IdentifierToken)).Select(t => t.ValueText), StringComparer.Ordinal);
            foreach (var p in forward.Parameters) identifiers.Add(p.Name);
            var graphs = GraphsParameterNames.FirstOrDefault(n => !identifiers.Contains(n));
            if (graphs is null) return null;
            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
            var statements = body.Statements;
            var splitter = new Splitter(forward, types, compilation, model, statements, cancellationToken);
            var parts = new List<CapturedPart>();
            int i = 0;
            while (i < statements.Count)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var (end, reason, location) = splitter.Probe(i);
                if (end > i) parts.Add(splitter.Compile(i, end));
                if (reason is null)
                {
                    i = end;
                    continue;
                }
                parts.Add(splitter.Eager(end, end + 1, reason, isBreak: true, location));
                i = end + 1;
            }
            if (!parts.Any(p => p.Graph is not null)) return null;
            var root = syntax.SyntaxTree.GetCompilationUnitRoot(cancellationToken);
            var usings = root.Usings.Where(u => u.GlobalKeyword.IsKind(SyntaxKind.None)).Select(u => u.ToString()).ToList();
            var container = syntax.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault();
            var namespaceUsings = container is null ? new List<string>() : container.Usings.Select(u => u.ToString()).ToList();
            return new SplitCapture(parts, graphs, usings, namespaceUsings);
        }

        /// <summary>Captures runs of <c>Forward</c>'s top-level statements.</summary>
        sealed class Splitter
        {
            readonly IMethodSymbol _forward;
            readonly ModuleTypes _types;
            readonly Compilation _compilation;
            readonly SemanticModel _model;
            readonly SyntaxList<StatementSyntax> _statements;
            readonly CancellationToken _cancellationToken;

            public Splitter(IMethodSymbol forward, ModuleTypes types, Compilation compilation, SemanticModel model, SyntaxList<StatementSyntax> statements, CancellationToken cancellationToken)
            {
                _forward = forward;
                _types = types;
                _compilation = compilation;
                _model = model;
                _statements = statements;
                _cancellationToken = cancellationToken;
            }

            /// <summary>
            /// How far a graph starting at statement <paramref name="start"/> reaches: the index of the statement that
            /// breaks it with the reason, or the end (after a <c>return</c>) with a null reason.
            /// </summary>
            public (int End, string? Reason, Location? Location) Probe(int start)
            {
                var capture = new ForwardCapture(_forward, _types, _compilation, _cancellationToken, new Paths(), Array.Empty<bool>());
                var scope = capture.Begin(_forward, Flowing(start, _statements.Count));
                for (int k = start; k < _statements.Count; k++)
                {
                    var operation = _model.GetOperation(_statements[k], _cancellationToken);
                    if (operation is null) return (k, "line " + Line(_statements[k]) + ": a statement that does not bind", _statements[k].GetLocation());
                    try
                    {
                        if (capture.Statement(operation, scope) is not null) return (k + 1, null, null);
                    }
                    catch (GraphBreakException e)
                    {
                        return (k, e.Message, e.Location);
                    }
                    catch (PathThrowsException e)
                    {
                        return (k, e.Message + ", which compiles only behind a branch on Training or a readonly option", e.Location);
                    }
                    if (capture._decisions.Count > 0)
                        return (k, "line " + Line(_statements[k]) + ": a branch on Training or a readonly option in a Forward that splits at a graph break "
                            + "(the graphs of a split Forward are compiled for one path)", _statements[k].GetLocation());
                }
                return (_statements.Count, null, null);
            }

            /// <summary>Statements <paramref name="start"/> to <paramref name="end"/> (exclusive), which compile, as a graph; or eagerly when a graph of them cannot hand on what later code reads.</summary>
            public CapturedPart Compile(int start, int end)
            {
                var inputs = Flowing(start, end);
                var flow = _model.AnalyzeDataFlow(_statements[start], _statements[end - 1]);
                var later = end < _statements.Count ? _model.AnalyzeDataFlow(_statements[end], _statements[_statements.Count - 1]) : null;
                var written = flow?.WrittenInside ?? ImmutableEmpty;
                var declared = flow?.VariablesDeclared ?? ImmutableEmpty;
                var read = later?.DataFlowsIn ?? ImmutableEmpty;
                var live = Ordered(written.Where(s => read.Contains(s, SymbolEqualityComparer.Default)));
                var capture = new ForwardCapture(_forward, _types, _compilation, _cancellationToken, new Paths(), Array.Empty<bool>());
                var scope = capture.Begin(_forward, inputs);
                int? returned = null;
                try
                {
                    for (int k = start; k < end && returned is null; k++)
                        returned = capture.Statement(_model.GetOperation(_statements[k], _cancellationToken)!, scope);
                }
                catch (GraphBreakException e)
                {
                    // Not expected (the probe captured these statements), but never a graph that stops half-way.
                    return Eager(start, end, e.Message, isBreak: true, e.Location);
                }
                string? why = null;
                ISymbol? output = null;
                if (returned is null)
                {
                    if (live.Count > 1)
                        why = "the code computes " + live.Count + " values that later statements read (" + string.Join(", ", live.Select(s => s.Name))
                            + "), and a compiled graph hands on one";
                    else if (live.Count == 1) output = live[0];
                }
                int result = returned ?? (output is not null && scope.Values.TryGetValue(output, out int value) ? value : -1);
                try
                {
                    // The checks a whole Forward's capture makes on its output hold for each graph's output too.
                    if (result >= 0)
                    {
                        capture.RequireMasksReadAsMasks(result);
                        capture.RequireAttentionOutputsRead(result);
                    }
                }
                catch (GraphBreakException e)
                {
                    return Eager(start, end, e.Message, isBreak: true, e.Location);
                }
                // Statements that compute no op later code reads (a return of a local, an alias) are plain code: they run as written.
                if (why is null && (result < 0 || capture._nodes[result].Op == GraphOp.Input))
                    return Eager(start, end, "", isBreak: false, null);
                if (why is null && inputs.Count == 0)
                    why = "the code reads no tensor from the statements before it, and a compiled graph takes at least one";
                if (why is null && inputs.FirstOrDefault(s => Array.IndexOf(GeneratedLocals, s.Name) >= 0) is { } taken)
                    why = "the code reads the local '" + taken.Name + "', named like one of the compiled Forward's own locals (" + string.Join(", ", GeneratedLocals) + ")";
                if (why is not null)
                    return Eager(start, end, Lines(start, end) + " compile" + (end - start == 1 ? "s" : "") + ", but run" + (end - start == 1 ? "s" : "") + " eagerly: " + why,
                        isBreak: false, _statements[start].GetLocation());
                var part = Describe(start, end);
                part.Graph = new CapturedGraph(capture._nodes.ToEquatableArray(), result, capture._modules.ToEquatableArray());
                part.Inlined = capture._inlined.ToList();
                part.Locations = capture._locations.ToList();
                part.Inputs = inputs;
                var before = start > 0 ? _model.AnalyzeDataFlow(_statements[0], _statements[start - 1])?.WrittenInside : null;
                part.Annotated = inputs.Select(s => s is IParameterSymbol p && before?.Contains(p, SymbolEqualityComparer.Default) != true ? p : null).ToList();
                part.Output = output;
                part.DeclaresOutput = output is not null && declared.Contains(output, SymbolEqualityComparer.Default);
                if (later is not null)
                {
                    var used = later.ReadInside.Concat(later.WrittenInside);
                    part.DeclaredForLater = Ordered(declared.Where(s => !SymbolEqualityComparer.Default.Equals(s, output) && used.Contains(s, SymbolEqualityComparer.Default)));
                }
                part.AssignedFirst = Ordered(written.Where(s => !declared.Contains(s, SymbolEqualityComparer.Default) && !inputs.Contains(s, SymbolEqualityComparer.Default)));
                return part;
            }

            public CapturedPart Eager(int start, int end, string reason, bool isBreak, Location? location)
            {
                var part = Describe(start, end);
                part.Reason = reason;
                part.IsBreak = isBreak;
                part.Location = location;
                return part;
            }

            CapturedPart Describe(int start, int end)
            {
                var first = _statements[start].GetLocation().GetLineSpan();
                var last = _statements[end - 1].GetLocation().GetLineSpan();
                int from = first.StartLinePosition.Line + 1, to = last.EndLinePosition.Line + 1;
                var file = Path.GetFileName(first.Path);
                var code = new List<string>();
                int indent = first.StartLinePosition.Character;
                for (int k = start; k < end; k++)
                {
                    foreach (var line in _statements[k].ToString().Split('\n'))
                    {
                        var text = line.TrimEnd('\r', ' ', '\t');
                        int lead = text.Length - text.TrimStart(' ', '\t').Length;
                        code.Add(text.Substring(Math.Min(lead, indent)));
                    }
                }
                return new CapturedPart
                {
                    Code = code,
                    Lines = file + "(" + from.ToString(CultureInfo.InvariantCulture) + (to > from ? "-" + to.ToString(CultureInfo.InvariantCulture) : "") + ")",
                    FirstLine = from,
                    LastLine = to,
                };
            }

            /// <summary>The tensor parameters and locals whose values flow into statements <paramref name="start"/> to <paramref name="end"/> from before them.</summary>
            List<ISymbol> Flowing(int start, int end)
            {
                var flow = _model.AnalyzeDataFlow(_statements[start], _statements[end - 1]);
                return Ordered((flow?.DataFlowsIn ?? ImmutableEmpty).Where(s => s is IParameterSymbol or ILocalSymbol && _types.IsTensor(TypeOf(s))));
            }

            /// <summary>Parameters in <c>Forward</c>'s order, then locals in the order they are declared.</summary>
            List<ISymbol> Ordered(IEnumerable<ISymbol> symbols) =>
                symbols.Distinct<ISymbol>(SymbolEqualityComparer.Default)
                    .OrderBy(s => s is IParameterSymbol p ? p.Ordinal : int.MaxValue)
                    .ThenBy(s => s.Locations.FirstOrDefault()?.SourceSpan.Start ?? 0)
                    .ToList();

            static readonly System.Collections.Immutable.ImmutableArray<ISymbol> ImmutableEmpty = System.Collections.Immutable.ImmutableArray<ISymbol>.Empty;

            string Lines(int start, int end) =>
                end - start == 1 ? "line " + Line(_statements[start]) : "lines " + Line(_statements[start]) + "-" + Line(_statements[end - 1]);

            static int Line(SyntaxNode node) => node.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
        }

        /// <summary>The first read of a tensor's values in <paramref name="operation"/> (<c>Item</c>, <c>ToFloatArray</c>, ...), or null.</summary>
        string? ValueRead(IOperation operation) =>
            Walk(operation).OfType<Microsoft.CodeAnalysis.Operations.IInvocationOperation>()
                .Where(call => call.Instance is { } instance && _types.IsTensor(instance.Type)
                    && (call.TargetMethod.Name == "Item" || call.TargetMethod.Name.StartsWith("To", StringComparison.Ordinal) && call.TargetMethod.Name.EndsWith("Array", StringComparison.Ordinal)))
                .Select(call => call.TargetMethod.Name)
                .FirstOrDefault();

        static IEnumerable<IOperation> Walk(IOperation operation)
        {
            yield return operation;
            foreach (var child in operation.ChildOperations)
                foreach (var inner in Walk(child)) yield return inner;
        }

        static ITypeSymbol? TypeOf(ISymbol symbol) => symbol switch
        {
            IParameterSymbol p => p.Type,
            ILocalSymbol l => l.Type,
            _ => null,
        };

        /// <summary>
        /// A compiled part's name, after what it computes: the children and ops it runs, in order (<c>Fc1Relu</c>); past
        /// three, the children it calls (<c>Layers0Layers1</c>), or the first and the last of them (<c>Fc1ToFc4</c>).
        /// </summary>
        internal static string PartName(CapturedGraph graph)
        {
            var live = new bool[graph.Nodes.Count];
            live[graph.Output] = true;
            for (int i = graph.Nodes.Count - 1; i >= 0; i--)
                if (live[i])
                    foreach (var input in graph.Nodes[i].Inputs) live[input] = true;
            var labels = new List<string>();
            var children = new List<string>();
            for (int i = 0; i < graph.Nodes.Count; i++)
            {
                var node = graph.Nodes[i];
                if (!live[i] || node.Op == GraphOp.Input) continue;
                var label = node.Module.Length > 0 ? GraphPlanner.Pascal(node.Module) : Label(node.Op);
                if (labels.Count == 0 || labels[labels.Count - 1] != label) labels.Add(label);
                if (node.Module.Length > 0 && !children.Contains(label)) children.Add(label);
            }
            if (labels.Count <= 3) return string.Concat(labels);
            // Longer graphs are named after the children they call, the first and the last when there are many.
            if (children.Count == 0) children = labels;
            return children.Count <= 3 ? string.Concat(children) : children[0] + "To" + children[children.Count - 1];
        }

        static string Label(GraphOp op)
        {
            var name = op.ToString();
            return name.EndsWith("Scalar", StringComparison.Ordinal) ? name.Substring(0, name.Length - "Scalar".Length) : name;
        }

        /// <summary>Starts the capture of a run of <c>Forward</c>'s statements: one input node per value it reads from before it.</summary>
        Scope Begin(IMethodSymbol forward, IReadOnlyList<ISymbol> inputs)
        {
            var scope = new Scope("", 0);
            _inlinedTypes[""] = forward.ContainingType;
            foreach (var symbol in inputs)
                scope.Values[symbol] = Add(new GraphNode(GraphOp.Input, default, "", default, symbol.Name), symbol.Locations.FirstOrDefault());
            return scope;
        }
    }
}
