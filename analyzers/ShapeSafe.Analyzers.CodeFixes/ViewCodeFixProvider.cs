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

namespace ShapeSafe.Analyzers.CodeFixes
{
    /// <summary>SS0001: call <c>Reshape</c> instead of <c>View</c>, or make the tensor contiguous first.</summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ViewCodeFixProvider)), Shared]
    public sealed class ViewCodeFixProvider : CodeFixProvider
    {
        const string ReshapeKey = "SS0001.Reshape";
        const string ContiguousKey = "SS0001.Contiguous";

        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.ViewOnIncompatibleLayout);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            foreach (var diagnostic in context.Diagnostics)
            {
                var node = root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
                var invocation = node?.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
                if (invocation?.Expression is not MemberAccessExpressionSyntax member) continue;
                var document = context.Document;
                context.RegisterCodeFix(CodeAction.Create("Use Reshape(...)",
                    c => Replace(document, member, member.WithName(SyntaxFactory.IdentifierName("Reshape").WithTriviaFrom(member.Name)), c), ReshapeKey), diagnostic);
                context.RegisterCodeFix(CodeAction.Create("Call Contiguous() before View(...)",
                    c => Replace(document, member, member.WithExpression(ContiguousCall(member.Expression)), c), ContiguousKey), diagnostic);
            }
        }

        static ExpressionSyntax ContiguousCall(ExpressionSyntax receiver) =>
            SyntaxFactory.InvocationExpression(SyntaxFactory.MemberAccessExpression(SyntaxKind.SimpleMemberAccessExpression,
                receiver.WithoutTrailingTrivia(), SyntaxFactory.IdentifierName("Contiguous")));

        static async Task<Document> Replace(Document document, SyntaxNode oldNode, SyntaxNode newNode, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(oldNode, newNode));
        }
    }
}
