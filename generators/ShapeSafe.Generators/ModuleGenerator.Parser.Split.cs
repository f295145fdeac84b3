using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators
{
    public sealed partial class ModuleGenerator
    {
        internal static partial class Parser
        {
            /// <summary>
            /// A <c>Forward</c> that breaks, split at its breaks into graphs and the eager code between them; null when it
            /// cannot split (then the whole module runs eagerly, SS2009). Each statement that runs eagerly is reported
            /// as SS2013 with its line and reason.
            /// </summary>
            static ForwardModel? ParseSplit(INamedTypeSymbol type, IMethodSymbol forward, ModuleTypes types, Compilation compilation,
                Action<Diagnostic>? report, CancellationToken cancellationToken)
            {
                var split = Graphs.ForwardCapture.Split(forward, types, compilation, cancellationToken);
                if (split is null) return null;
                // The generated members of the module: the split Forward and each graph's eager form.
                var taken = new HashSet<string>(type.GetMembers().Select(m => m.Name), StringComparer.Ordinal) { "SplitForward", "Compiled", "Compile" };
                if (type.GetMembers("SplitForward").Length > 0) return null;
                var parts = new List<ForwardPart>();
                var problems = new List<(DiagnosticDescriptor Descriptor, Location? At, string Message)>();
                int graphs = split.Parts.Count(p => p.Graph is not null);
                foreach (var part in split.Parts)
                {
                    var code = part.Code.ToEquatableArray();
                    if (part.Graph is not { } graph)
                    {
                        parts.Add(new ForwardPart("", part.Lines, code, part.Reason, null, null, default, "", false, default, default));
                        continue;
                    }
                    var name = Graphs.ForwardCapture.PartName(graph);
                    for (int n = 2; taken.Contains(name + "Eager") || taken.Contains(name); n++)
                        name = Graphs.ForwardCapture.PartName(graph) + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    taken.Add(name);
                    taken.Add(name + "Eager");
                    // Forward's [Shape] annotations hold for its parameters until a statement assigns them.
                    var (shapes, found) = Graphs.SymbolicShapes.Infer(forward, graph, part.Inlined, types, compilation, cancellationToken, part.Annotated);
                    problems.AddRange(found.Select(p => (p.Descriptor, part.Locations[p.Node] ?? forward.Locations.FirstOrDefault(), p.Message)));
                    parts.Add(new ForwardPart(name, part.Lines, code, "", graph, shapes,
                        part.Inputs.Select(s => Escape(s.Name)).ToEquatableArray(),
                        part.Output is null ? "" : Escape(part.Output.Name), part.DeclaresOutput,
                        part.DeclaredForLater.Select(Local).ToEquatableArray(), part.AssignedFirst.Select(Local).ToEquatableArray()));
                }
                if (report is not null)
                {
                    foreach (var part in split.Parts.Where(p => p.Graph is null && p.Reason.Length > 0))
                    {
                        var what = part.IsBreak ? part.Reason + "; the graph is split there, and " + (part.LastLine > part.FirstLine ? "lines " + part.FirstLine + "-" + part.LastLine : "line " + part.FirstLine)
                            + " run" + (part.LastLine > part.FirstLine ? "" : "s") + " eagerly" : part.Reason;
                        report(Diagnostic.Create(GeneratorDiagnostics.SplitGraphBreak, part.Location ?? forward.Locations.FirstOrDefault(), type.Name,
                            graphs == 1 ? "1 graph" : graphs + " graphs", what));
                    }
                    foreach (var problem in problems.Distinct())
                        report(Diagnostic.Create(problem.Descriptor, problem.At, type.Name, problem.Message));
                }
                return new ForwardModel(forward.Parameters.Select(p => Escape(p.Name)).ToEquatableArray(), null, split.Parts.FirstOrDefault(p => p.IsBreak)?.Reason ?? "",
                    HidesBaseCompile(type, types), Split: new SplitForward(parts.ToEquatableArray(), split.GraphsParameter,
                        split.Usings.ToEquatableArray(), split.NamespaceUsings.ToEquatableArray()));

            }

            static LocalDeclaration Local(ISymbol symbol) =>
                new LocalDeclaration((symbol is ILocalSymbol l ? l.Type : ((IParameterSymbol)symbol).Type).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat), Escape(symbol.Name));
        }
    }
}
