using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ShapeSafe.Analyzers.Inference;

namespace ShapeSafe.Analyzers.CodeFixes
{
    /// <summary>
    /// SS0007: rewrite the <c>[Shape]</c> annotation to the inferred shape. SS0008: change the layer's constructor
    /// argument to the size its input has. Both edit the place the diagnostic's additional location points at.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(AnnotationCodeFixProvider)), Shared]
    public sealed class AnnotationCodeFixProvider : CodeFixProvider
    {
        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } =
            ImmutableArray.Create(DiagnosticIds.ShapeAnnotationMismatch, DiagnosticIds.LayerConfigurationMismatch);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            foreach (var diagnostic in context.Diagnostics)
            {
                var target = diagnostic.AdditionalLocations.FirstOrDefault();
                if (target is null || !target.IsInSource) continue;
                var document = context.Document.Project.Solution.GetDocument(target.SourceTree);
                if (document is null) continue;
                if (diagnostic.Id == DiagnosticIds.ShapeAnnotationMismatch
                    && diagnostic.Properties.TryGetValue(PropertyNames.InferredShape, out var shape) && shape is not null)
                {
                    context.RegisterCodeFix(CodeAction.Create($"Change the annotation to \"{shape}\"",
                        c => ReplaceExpression(document, target, SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(shape)), c),
                        DiagnosticIds.ShapeAnnotationMismatch), diagnostic);
                }
                else if (diagnostic.Id == DiagnosticIds.LayerConfigurationMismatch
                    && diagnostic.Properties.TryGetValue(PropertyNames.InferredSize, out var size) && int.TryParse(size, out int value))
                {
                    context.RegisterCodeFix(CodeAction.Create($"Configure the layer for {value}",
                        c => ReplaceExpression(document, target, SyntaxFactory.LiteralExpression(SyntaxKind.NumericLiteralExpression, SyntaxFactory.Literal(value)), c),
                        DiagnosticIds.LayerConfigurationMismatch), diagnostic);
                }
            }
            return Task.CompletedTask;
        }

        static async Task<Solution> ReplaceExpression(Document document, Location location, ExpressionSyntax replacement, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (root?.FindNode(location.SourceSpan, getInnermostNodeForTie: true) is not ExpressionSyntax old)
                return document.Project.Solution;
            return document.WithSyntaxRoot(root.ReplaceNode(old, replacement.WithTriviaFrom(old))).Project.Solution;
        }
    }
}
