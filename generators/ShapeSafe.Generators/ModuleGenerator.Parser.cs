using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators
{
    public sealed partial class ModuleGenerator
    {
        /// <summary>What a member's type makes it, before any attribute is looked at.</summary>
        internal enum MemberType
        {
            /// <summary>Not state (an int, a string, a delegate, ...).</summary>
            Other,

            /// <summary>A module: a child.</summary>
            Module,

            /// <summary>An array or read-only list of modules.</summary>
            ModuleList,

            /// <summary>A parameter.</summary>
            Parameter,

            /// <summary>Any other tensor: a buffer when marked <c>[Buffer]</c>, else not state.</summary>
            Tensor,

            /// <summary>Another collection of modules, parameters or tensors, which is not registered.</summary>
            OtherCollection,
        }

        /// <summary>
        /// Turns a <c>[Module]</c> class into its <see cref="ModuleModel"/>, and reports through
        /// <paramref name="report"/> (when given) what keeps it from being generated or is likely a mistake. The
        /// generator passes no reporter; the analyzer (<see cref="ModuleDeclarationAnalyzer"/>) reports the same
        /// findings, so the two never disagree.
        /// </summary>
        /// <returns>The model, or null when the class cannot be generated (not partial, not a Module, ...).</returns>
        internal static partial class Parser
        {
            public static ModuleModel? Parse(INamedTypeSymbol type, ModuleTypes types, Action<Diagnostic>? report, CancellationToken cancellationToken, Compilation? compilation = null)
            {
                var location = type.Locations.FirstOrDefault();
                if (!types.IsModule(type.BaseType))
                {
                    report?.Invoke(Diagnostic.Create(GeneratorDiagnostics.ModuleWithoutModuleBase, location, type.Name));
                    return null;
                }
                if (!IsPartial(type))
                {
                    report?.Invoke(Diagnostic.Create(GeneratorDiagnostics.ModuleNotPartial, location, type.Name));
                    return null;
                }
                var containing = new List<TypeDeclaration>();
                for (var outer = type.ContainingType; outer is not null; outer = outer.ContainingType)
                {
                    if (!IsPartial(outer))
                    {
                        report?.Invoke(Diagnostic.Create(GeneratorDiagnostics.ContainingTypeNotPartial, location, type.Name, outer.Name));
                        return null;
                    }
                    containing.Insert(0, Declaration(outer));
                }

                var members = new List<StateMember>();
                var owners = new Dictionary<string, string>(StringComparer.Ordinal);
                bool valid = true;
                foreach (var member in MembersInDeclarationOrder(type))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var state = ParseMember(member, types, report);
                    if (state is null) continue;
                    if (!ValidName(state.StateName, out var problem))
                    {
                        report?.Invoke(Diagnostic.Create(GeneratorDiagnostics.InvalidStateName, member.Locations.FirstOrDefault(), member.Name, state.StateName, problem));
                        valid = false;
                        continue;
                    }
                    if (owners.TryGetValue(state.StateName, out var first))
                    {
                        report?.Invoke(Diagnostic.Create(GeneratorDiagnostics.DuplicateStateName, member.Locations.FirstOrDefault(), first, member.Name, state.StateName));
                        valid = false;
                        continue;
                    }
                    owners.Add(state.StateName, member.Name);
                    members.Add(state);
                }
                if (!valid) return null;

                var ns = type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString();
                var forward = compilation is null ? null : ParseForward(type, types, compilation, report, cancellationToken);
                return new ModuleModel(ns, containing.ToEquatableArray(), Declaration(type), members.ToEquatableArray(), HintName(type), forward);
            }

            /// <summary>
            /// The instance fields and properties of <paramref name="type"/> in declaration order: across partial
            /// declarations, files in ordinal order of their paths, then by position in the file.
            /// </summary>
            public static IEnumerable<ISymbol> MembersInDeclarationOrder(INamedTypeSymbol type) =>
                type.GetMembers()
                    .Where(m => m is IFieldSymbol or IPropertySymbol && !m.IsImplicitlyDeclared && m.DeclaringSyntaxReferences.Length > 0)
                    .Select(m => (Member: m, Syntax: m.DeclaringSyntaxReferences[0]))
                    .OrderBy(m => m.Syntax.SyntaxTree.FilePath, StringComparer.Ordinal)
                    .ThenBy(m => m.Syntax.Span.Start)
                    .Select(m => m.Member);

            /// <summary>
            /// The compiled graph of the class's <c>Forward</c>, or why it runs eagerly (reported as SS2009, or SS2010 under
            /// <c>Compile = CompileMode.Required</c>); null when there is no <c>Forward</c> to compile. The engine's own
            /// layers are the graphs' primitives and are not compiled themselves. A generic class's graph is compiled
            /// once for all its type arguments (its nested <c>Compiled</c> is generic with it).
            /// </summary>
            static ForwardModel? ParseForward(INamedTypeSymbol type, ModuleTypes types, Compilation compilation, Action<Diagnostic>? report, CancellationToken cancellationToken)
            {
                if (compilation.AssemblyName == "ShapeSafe") return null;
                var forward = Graphs.ForwardCapture.FindForward(type, types);
                if (forward is null) return null;
                var result = Graphs.ForwardCapture.Capture(forward, types, compilation, cancellationToken);
                bool required = type.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, types.ModuleAttribute))
                    ?.NamedArguments.Any(a => a.Key == "Compile" && a.Value.Value is int mode && mode == 1) == true;
                // A Forward that breaks splits there into graphs and eager code (reported as SS2013), unless it must compile whole.
                if (result.Graph is null && result.Variants is null && !required && ParseSplit(type, forward, types, compilation, report, cancellationToken) is { } split)
                    return split;
                if (result.Graph is null && result.Variants is null && report is not null)
                {
                    report(Diagnostic.Create(required ? GeneratorDiagnostics.RequiredGraphBreak : GeneratorDiagnostics.GraphBreak,
                        result.Location ?? forward.Locations.FirstOrDefault(), type.Name, result.Reason));
                }
                // Each graph gets its symbolic shapes and the problems they prove.
                (GraphShapes Shapes, List<ShapeProblem> Problems) Shapes(CapturedGraph graph, IReadOnlyList<bool> inlined, IReadOnlyList<Location?> locations)
                {
                    var (shapes, problems) = Graphs.SymbolicShapes.Infer(forward, graph, inlined, types, compilation, cancellationToken);
                    return (shapes, problems.Select(p => new ShapeProblem(p.Descriptor, locations[p.Node] ?? forward.Locations.FirstOrDefault(), p.Message)).ToList());
                }
                var single = result.Graph is null ? default((GraphShapes Shapes, List<ShapeProblem> Problems)?) : Shapes(result.Graph, result.Inlined, result.Locations);
                var problems = single?.Problems ?? new List<ShapeProblem>();
                var variants = result.Variants;
                if (variants is not null)
                {
                    var shaped = new List<GraphVariant>();
                    var perVariant = new List<(GraphVariant Variant, List<ShapeProblem> Problems)>();
                    for (int i = 0; i < variants.Variants.Count; i++)
                    {
                        var variant = variants.Variants[i];
                        if (variant.Graph is null)
                        {
                            shaped.Add(variant);
                            continue;
                        }
                        var (shapes, found) = Shapes(variant.Graph, result.VariantSources[i].Inlined, result.VariantSources[i].Locations);
                        shaped.Add(variant with { Shapes = shapes });
                        perVariant.Add((variant, found));
                    }
                    variants = variants with { Variants = shaped.ToEquatableArray() };
                    problems = ProvenInEveryCombination(perVariant);
                }
                if (report is not null)
                {
                    foreach (var problem in problems)
                        report(Diagnostic.Create(problem.Descriptor, problem.At, type.Name, problem.Message));
                }
                return new ForwardModel(forward.Parameters.Select(p => Escape(p.Name)).ToEquatableArray(), result.Graph, result.Reason, HidesBaseCompile(type, types),
                    single?.Shapes, variants);
            }

            /// <summary>A shape problem of one graph, where it is reported: equal in two variants when it is the same problem.</summary>
            readonly record struct ShapeProblem(DiagnosticDescriptor Descriptor, Location? At, string Message);

            /// <summary>
            /// The problems of a <c>Forward</c>'s variants that are certain, each once. The variants are grouped by the
            /// outcomes of their branches on options (those on <c>Training</c> alone set the mode, and both modes run); a
            /// problem is reported when a variant of every group shows it. A combination of options may be one the
            /// constructor never makes (a block without its projection where the sizes differ), so a problem that only
            /// some combinations show is left to the plan, which checks the concrete shapes when it runs.
            /// </summary>
            static List<ShapeProblem> ProvenInEveryCombination(List<(GraphVariant Variant, List<ShapeProblem> Problems)> variants)
            {
                var groups = variants
                    .GroupBy(v => string.Join("\n", v.Variant.Decisions.Where(d => d.Condition != "training").Select(d => d.Condition + "=" + d.Taken)),
                        StringComparer.Ordinal)
                    .Select(g => new HashSet<ShapeProblem>(g.SelectMany(v => v.Problems)))
                    .ToList();
                return variants.SelectMany(v => v.Problems).Distinct().Where(p => groups.All(g => g.Contains(p))).ToList();
            }

            /// <summary>Whether a base class already has a generated (or compiled-in) <c>Compile</c>.</summary>
            static bool HidesBaseCompile(INamedTypeSymbol type, ModuleTypes types)
            {
                for (var t = type.BaseType; t is not null && !SymbolEqualityComparer.Default.Equals(t, types.Module); t = t.BaseType)
                {
                    if (t.GetMembers("Compile").Length > 0) return true;
                    if (t.DeclaringSyntaxReferences.Length > 0 && types.HasModuleAttribute(t) && Graphs.ForwardCapture.FindForward(t, types) is not null) return true;
                }
                return false;
            }

            /// <summary>How <paramref name="member"/> registers (null when it is not state), without reporting anything.</summary>
            public static StateMember? StateOf(ISymbol member, ModuleTypes types) => ParseMember(member, types, report: null);

            static StateMember? ParseMember(ISymbol member, ModuleTypes types, Action<Diagnostic>? report)
            {
                // Binding attributes is most of a member's cost: look only where the syntax has any.
                bool attributed = HasAttributeSyntax(member);
                var buffer = attributed ? Attribute(member, types.BufferAttribute) : null;
                var stateName = attributed ? Attribute(member, types.StateNameAttribute) : null;
                var memberType = member switch
                {
                    IFieldSymbol field => field.Type,
                    IPropertySymbol property => property.Type,
                    _ => null,
                };
                var kind = Classify(memberType, types);
                bool canHoldState = CanHoldState(member);
                var location = member.Locations.FirstOrDefault();

                if (buffer is not null || stateName is not null)
                {
                    string? problem =
                        !canHoldState ? "only instance fields and auto-properties are registered (not static, const or computed members)"
                        : buffer is not null && kind == MemberType.Parameter ? "a Parameter is registered as a parameter; remove [Buffer]"
                        : buffer is not null && kind != MemberType.Tensor ? "[Buffer] needs a Tensor member"
                        : buffer is null && kind == MemberType.Tensor ? "a plain Tensor member is not state, as in PyTorch; mark it [Buffer] to make it a buffer"
                        : buffer is null && kind is MemberType.Other or MemberType.OtherCollection ? "its type is not a Module, an array or read-only list of modules, a Parameter or a Tensor"
                        : null;
                    if (problem is not null)
                    {
                        report?.Invoke(Diagnostic.Create(GeneratorDiagnostics.UnsupportedStateMember, location, member.Name, problem));
                        return null;
                    }
                }
                if (!canHoldState) return null;

                var name = stateName?.ConstructorArguments.FirstOrDefault().Value as string ?? DefaultName(member.Name);
                var code = Escape(member.Name);
                switch (kind)
                {
                    case MemberType.Module:
                        return new StateMember(StateKind.Child, name, code, Persistent: true);
                    case MemberType.ModuleList:
                        return new StateMember(StateKind.ChildList, name, code, Persistent: true);
                    case MemberType.Parameter:
                        return new StateMember(StateKind.Parameter, name, code, Persistent: true);
                    case MemberType.Tensor when buffer is not null:
                        bool persistent = !buffer.NamedArguments.Any(a => a.Key == "Persistent" && a.Value.Value is false);
                        return new StateMember(StateKind.Buffer, name, code, persistent);
                    case MemberType.OtherCollection:
                        report?.Invoke(Diagnostic.Create(GeneratorDiagnostics.UnregisteredCollection, location, member.Name,
                            memberType!.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
                            "use an array or IReadOnlyList of modules, a ModuleList, or one member per parameter or buffer"));
                        return null;
                    default:
                        return null;
                }
            }

            /// <summary>What <paramref name="type"/> makes a member: module, list of modules, parameter, tensor, another collection, or nothing.</summary>
            public static MemberType Classify(ITypeSymbol? type, ModuleTypes types)
            {
                if (type is null) return MemberType.Other;
                if (types.IsModule(type)) return MemberType.Module;
                if (types.IsParameter(type)) return MemberType.Parameter;
                if (types.IsTensor(type)) return MemberType.Tensor;
                if (type is IArrayTypeSymbol array)
                {
                    if (array.Rank == 1 && types.IsModule(array.ElementType)) return MemberType.ModuleList;
                    return IsState(array.ElementType, types) ? MemberType.OtherCollection : MemberType.Other;
                }
                if (type is INamedTypeSymbol named)
                {
                    var list = ElementType(named, types.ReadOnlyList);
                    if (list is not null && types.IsModule(list)) return MemberType.ModuleList;
                    var element = ElementType(named, types.Enumerable);
                    if (element is INamedTypeSymbol { IsGenericType: true, Name: "KeyValuePair" } pair) element = pair.TypeArguments[1];
                    if (element is not null && IsState(element, types)) return MemberType.OtherCollection;
                }
                return MemberType.Other;
            }

            /// <summary>True for the members that can hold state: instance fields (not const) and auto-properties.</summary>
            public static bool CanHoldState(ISymbol member) => member switch
            {
                IFieldSymbol field => !field.IsStatic && !field.IsConst,
                IPropertySymbol property => !property.IsStatic && !property.IsIndexer && IsAutoProperty(property),
                _ => false,
            };

            static bool IsState(ITypeSymbol type, ModuleTypes types) => types.IsModule(type) || types.IsTensor(type);

            static ITypeSymbol? ElementType(INamedTypeSymbol type, INamedTypeSymbol? generic)
            {
                if (generic is null) return null;
                if (SymbolEqualityComparer.Default.Equals(type.OriginalDefinition, generic)) return type.TypeArguments[0];
                foreach (var face in type.AllInterfaces)
                {
                    if (SymbolEqualityComparer.Default.Equals(face.OriginalDefinition, generic)) return face.TypeArguments[0];
                }
                return null;
            }

            static bool IsAutoProperty(IPropertySymbol property) =>
                !property.IsAbstract && !property.IsExtern
                && property.DeclaringSyntaxReferences.Length > 0
                && property.DeclaringSyntaxReferences[0].GetSyntax() is PropertyDeclarationSyntax syntax
                && syntax.ExpressionBody is null
                && syntax.AccessorList is { } accessors
                && accessors.Accessors.All(a => a.Body is null && a.ExpressionBody is null);

            static bool HasAttributeSyntax(ISymbol member) =>
                member.DeclaringSyntaxReferences[0].GetSyntax() switch
                {
                    VariableDeclaratorSyntax { Parent.Parent: FieldDeclarationSyntax field } => field.AttributeLists.Count > 0,
                    PropertyDeclarationSyntax property => property.AttributeLists.Count > 0,
                    _ => true,
                };

            static AttributeData? Attribute(ISymbol member, INamedTypeSymbol attribute) =>
                member.GetAttributes().FirstOrDefault(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, attribute));

            /// <summary>The member's name with one leading underscore dropped: <c>_conv1</c> is <c>conv1</c>.</summary>
            public static string DefaultName(string memberName) =>
                memberName.StartsWith("_", StringComparison.Ordinal) ? memberName.Substring(1) : memberName;

            static bool ValidName(string name, out string problem)
            {
                problem = name.Length == 0 ? "is empty" : name.IndexOf('.') >= 0 ? "contains '.'" : "";
                return problem.Length == 0;
            }

            static string Escape(string identifier) =>
                SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier : identifier;

            static bool IsPartial(INamedTypeSymbol type) =>
                type.DeclaringSyntaxReferences.Length > 0
                && type.DeclaringSyntaxReferences.All(r => r.GetSyntax() is TypeDeclarationSyntax t && t.Modifiers.Any(SyntaxKind.PartialKeyword));

            static TypeDeclaration Declaration(INamedTypeSymbol type)
            {
                string keyword = type.TypeKind switch
                {
                    TypeKind.Struct => type.IsRecord ? "record struct" : "struct",
                    TypeKind.Interface => "interface",
                    _ => type.IsRecord ? "record" : "class",
                };
                var name = type.TypeParameters.Length == 0
                    ? type.Name
                    : type.Name + "<" + string.Join(", ", type.TypeParameters.Select(p => p.Name)) + ">";
                return new TypeDeclaration(keyword, name);
            }

            /// <summary><c>{Type}.g.cs</c>, the type named in full (namespace, containing types, generic arity) so that names never collide.</summary>
            static string HintName(INamedTypeSymbol type)
            {
                var parts = new List<string>();
                for (var t = type; t is not null; t = t.ContainingType)
                    parts.Insert(0, t.TypeParameters.Length == 0 ? t.Name : t.Name + "`" + t.TypeParameters.Length);
                if (!type.ContainingNamespace.IsGlobalNamespace) parts.Insert(0, type.ContainingNamespace.ToDisplayString());
                return string.Join(".", parts) + ".g.cs";
            }
        }
    }
}
