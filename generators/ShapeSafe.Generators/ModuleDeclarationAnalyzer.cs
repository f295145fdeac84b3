using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace ShapeSafe.Generators
{
    /// <summary>
    /// Reports what the generator sees wrong in <c>[Module]</c> classes (SS2002–SS2013, from the generator's own
    /// parser: declarations, graph breaks and the compiled graph's shape errors), and warns about a class that derives from <c>Module</c>, holds state and registers none of it
    /// (SS2001): without <c>[Module]</c> such a model silently has no parameters, so an optimizer trains nothing.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ModuleDeclarationAnalyzer : DiagnosticAnalyzer
    {
        /// <summary>The methods whose calls show that a class registers its state by hand.</summary>
        static readonly ImmutableHashSet<string> RegistrationMethods = ImmutableHashSet.Create("RegisterModule", "RegisterParameter", "RegisterBuffer");

        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            GeneratorDiagnostics.UnregisteredModuleState,
            GeneratorDiagnostics.ModuleNotPartial,
            GeneratorDiagnostics.ModuleWithoutModuleBase,
            GeneratorDiagnostics.ContainingTypeNotPartial,
            GeneratorDiagnostics.DuplicateStateName,
            GeneratorDiagnostics.UnsupportedStateMember,
            GeneratorDiagnostics.UnregisteredCollection,
            GeneratorDiagnostics.InvalidStateName,
            GeneratorDiagnostics.GraphBreak,
            GeneratorDiagnostics.RequiredGraphBreak,
            GeneratorDiagnostics.GradientShapeMismatch,
            GeneratorDiagnostics.GraphShapeMismatch,
            GeneratorDiagnostics.SplitGraphBreak);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var types = ModuleTypes.TryCreate(start.Compilation);
                if (types is null) return;
                start.RegisterSymbolAction(symbol => Analyze(symbol, types, start.Compilation), SymbolKind.NamedType);
            });
        }

        static void Analyze(SymbolAnalysisContext context, ModuleTypes types, Compilation compilation)
        {
            var type = (INamedTypeSymbol)context.Symbol;
            if (type.TypeKind != TypeKind.Class) return;
            if (types.HasModuleAttribute(type))
            {
                ModuleGenerator.Parser.Parse(type, types, context.ReportDiagnostic, context.CancellationToken, compilation);
                return;
            }
            if (!types.IsModule(type.BaseType)) return;

            var state = ModuleGenerator.Parser.MembersInDeclarationOrder(type)
                .Where(m => ModuleGenerator.Parser.CanHoldState(m) && IsState(m, types))
                .Select(m => m.Name)
                .ToList();
            if (state.Count == 0 || RegistersByHand(type, context)) return;
            var holds = state.Count == 1 ? "'" + state[0] + "'" : "'" + string.Join("', '", state) + "'";
            context.ReportDiagnostic(Diagnostic.Create(GeneratorDiagnostics.UnregisteredModuleState, type.Locations.FirstOrDefault(), type.Name, holds));
        }

        static bool IsState(ISymbol member, ModuleTypes types)
        {
            var type = member is IFieldSymbol f ? f.Type : ((IPropertySymbol)member).Type;
            return ModuleGenerator.Parser.Classify(type, types) switch
            {
                ModuleGenerator.MemberType.Module or ModuleGenerator.MemberType.ModuleList or ModuleGenerator.MemberType.Parameter => true,
                ModuleGenerator.MemberType.Tensor => member.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, types.BufferAttribute)),
                _ => false,
            };
        }

        /// <summary>True when any declaration of the class calls <c>RegisterModule</c>, <c>RegisterParameter</c> or <c>RegisterBuffer</c>.</summary>
        static bool RegistersByHand(INamedTypeSymbol type, SymbolAnalysisContext context) =>
            type.DeclaringSyntaxReferences.Any(r => r.GetSyntax(context.CancellationToken).DescendantNodes().OfType<InvocationExpressionSyntax>().Any(call =>
                call.Expression switch
                {
                    IdentifierNameSyntax id => RegistrationMethods.Contains(id.Identifier.ValueText),
                    GenericNameSyntax g => RegistrationMethods.Contains(g.Identifier.ValueText),
                    MemberAccessExpressionSyntax m => RegistrationMethods.Contains(m.Name.Identifier.ValueText),
                    _ => false,
                }));
    }
}
