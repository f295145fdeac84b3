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
using Microsoft.CodeAnalysis.Text;
using ShapeSafe.Analyzers.Inference;

namespace ShapeSafe.Analyzers.CodeFixes
{
    /// <summary>
    /// SS0005 on <c>x - x.Mean(1)</c>: the reduction drops the dim the other operand still has; <c>keepDim: true</c>
    /// keeps it as size 1 so the result broadcasts back. Offered only when the analyzer found that it does.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(KeepDimCodeFixProvider)), Shared]
    public sealed class KeepDimCodeFixProvider : CodeFixProvider
    {
        const string Key = "SS0005.KeepDim";

        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.BroadcastMismatch);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            if (root is null) return;
            foreach (var diagnostic in context.Diagnostics)
            {
                if (!diagnostic.Properties.TryGetValue(PropertyNames.KeepDimCall, out var callSpan) || Span(callSpan) is not { } span) continue;
                var invocation = root.FindNode(span, getInnermostNodeForTie: true).AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault();
                if (invocation is null || invocation.Span != span) continue;
                ArgumentSyntax? existing = null;
                if (diagnostic.Properties.TryGetValue(PropertyNames.KeepDimArgument, out var argumentSpan) && Span(argumentSpan) is { } at)
                    existing = invocation.ArgumentList.Arguments.FirstOrDefault(a => a.Expression.Span == at);
                string name = invocation.Expression is MemberAccessExpressionSyntax member ? member.Name.Identifier.Text : "the reduction";
                var document = context.Document;
                context.RegisterCodeFix(CodeAction.Create($"Add keepDim: true to {name}(...)",
                    c => Replace(document, invocation, WithKeepDim(invocation, existing), c), Key), diagnostic);
            }
        }

        static InvocationExpressionSyntax WithKeepDim(InvocationExpressionSyntax invocation, ArgumentSyntax? existing)
        {
            var keepDim = SyntaxFactory.Argument(SyntaxFactory.NameColon("keepDim"), default, SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression));
            var arguments = invocation.ArgumentList.Arguments;
            arguments = existing is null ? arguments.Add(keepDim) : arguments.Replace(existing, keepDim.WithTriviaFrom(existing));
            return invocation.WithArgumentList(invocation.ArgumentList.WithArguments(arguments));
        }

        static TextSpan? Span(string? text)
        {
            var parts = text?.Split(':');
            return parts is { Length: 2 } && int.TryParse(parts[0], out int start) && int.TryParse(parts[1], out int length) ? new TextSpan(start, length) : null;
        }

        static async Task<Document> Replace(Document document, SyntaxNode oldNode, SyntaxNode newNode, CancellationToken cancellationToken)
        {
            var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            return root is null ? document : document.WithSyntaxRoot(root.ReplaceNode(oldNode, newNode));
        }
    }
}
