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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Simplification;
using ShapeSafe.Generators;

namespace ShapeSafe.Analyzers.CodeFixes
{
    /// <summary>
    /// SS2001 and SS2002: make the class a <c>[Module] partial class</c> (adding <c>[Module]</c> where it is missing,
    /// and <c>partial</c> to the class and to every type it is nested in), so the generator registers its state.
    /// </summary>
    [ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(ModuleCodeFixProvider)), Shared]
    public sealed class ModuleCodeFixProvider : CodeFixProvider
    {
        const string EquivalenceKey = "SS2001.MakeModulePartial";

        /// <inheritdoc/>
        public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(
            GeneratorDiagnosticIds.UnregisteredModuleState, GeneratorDiagnosticIds.ModuleNotPartial);

        /// <inheritdoc/>
        public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

        /// <inheritdoc/>
        public override async Task RegisterCodeFixesAsync(CodeFixContext context)
        {
            var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
            foreach (var diagnostic in context.Diagnostics)
            {
                var declaration = root?.FindToken(diagnostic.Location.SourceSpan.Start).Parent?.AncestorsAndSelf().OfType<ClassDeclarationSyntax>().FirstOrDefault();
                if (declaration is null) continue;
                bool addAttribute = diagnostic.Id == GeneratorDiagnosticIds.UnregisteredModuleState;
                var title = addAttribute
                    ? $"Make '{declaration.Identifier.ValueText}' a [Module] partial class"
                    : $"Make '{declaration.Identifier.ValueText}' partial";
                var document = context.Document;
                context.RegisterCodeFix(CodeAction.Create(title, c => Fix(document, declaration, addAttribute, c), EquivalenceKey), diagnostic);
            }
        }

        static async Task<Document> Fix(Document document, ClassDeclarationSyntax declaration, bool addAttribute, CancellationToken cancellationToken)
        {
            var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
            var generator = editor.Generator;
            foreach (var type in declaration.AncestorsAndSelf().OfType<TypeDeclarationSyntax>())
            {
                if (type.Modifiers.Any(SyntaxKind.PartialKeyword)) continue;
                editor.SetModifiers(type, generator.GetModifiers(type).WithPartial(true));
            }
            if (addAttribute)
            {
                var name = SyntaxFactory.ParseName("global::ShapeSafe.NN.Module")
                    .WithAdditionalAnnotations(Simplifier.Annotation, Simplifier.AddImportsAnnotation);
                editor.AddAttribute(declaration, SyntaxFactory.Attribute(name));
            }
            // The attribute is written in full; the using it needs is added, then the name is shortened where that is unambiguous.
            var changed = await ImportAdder.AddImportsAsync(editor.GetChangedDocument(), Simplifier.AddImportsAnnotation, cancellationToken: cancellationToken).ConfigureAwait(false);
            return await Simplifier.ReduceAsync(changed, Simplifier.Annotation, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
