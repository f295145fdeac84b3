using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers
{
    /// <summary>SS0009: a <c>[Shape]</c> the dim grammar does not accept, or a <c>[Dim]</c> whose name is no identifier.</summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class AnnotationAnalyzer : DiagnosticAnalyzer
    {
        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } =
            ImmutableArray.Create(DiagnosticDescriptors.MalformedAnnotation);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var symbols = EngineSymbols.TryCreate(start.Compilation);
                if (symbols?.ShapeAttribute is null) return;
                start.RegisterSymbolAction(c => AnalyzeSymbol(c, symbols), SymbolKind.Method, SymbolKind.Field, SymbolKind.Property);
            });
        }

        static void AnalyzeSymbol(SymbolAnalysisContext context, EngineSymbols symbols)
        {
            switch (context.Symbol)
            {
                case IMethodSymbol method:
                    foreach (var attribute in method.GetReturnTypeAttributes()) Check(context, symbols, attribute);
                    foreach (var parameter in method.Parameters)
                        foreach (var attribute in parameter.GetAttributes()) Check(context, symbols, attribute);
                    break;
                default:
                    foreach (var attribute in context.Symbol.GetAttributes()) Check(context, symbols, attribute);
                    break;
            }
        }

        static void Check(SymbolAnalysisContext context, EngineSymbols symbols, AttributeData attribute)
        {
            bool isShape = SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, symbols.ShapeAttribute);
            bool isDim = SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, symbols.DimAttribute);
            if (!isShape && !isDim) return;
            if (attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) is not AttributeSyntax syntax) return;
            var argument = syntax.ArgumentList?.Arguments.FirstOrDefault();
            if (argument is null) return;
            var text = EngineSymbols.StringArgument(attribute);
            if (text is null) return;

            if (isShape)
            {
                var result = DimParser.Parse(text);
                if (result.Error is { } error)
                    Report(context, argument, $"[Shape(\"{text}\")] is malformed: {error}");
            }
            else if (!Dim.IsIdentifier(text))
            {
                Report(context, argument, $"[Dim(\"{text}\")] is malformed: a dim name is a letter or '_' followed by letters, digits or '_'");
            }
        }

        static void Report(SymbolAnalysisContext context, AttributeArgumentSyntax argument, string message) =>
            context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.MalformedAnnotation, argument.Expression.GetLocation(), message));
    }
}
