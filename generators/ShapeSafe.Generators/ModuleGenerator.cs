using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace ShapeSafe.Generators
{
    /// <summary>
    /// Writes the registration of every <c>[Module] partial class</c>: an override of <c>Module.RegisterMembers</c>
    /// that assigns each child, list of children, parameter and buffer under its PyTorch name, in declaration
    /// order. No reflection runs at run time. Problems in a class are reported by
    /// <see cref="ModuleDeclarationAnalyzer"/>; the generator only skips a class it cannot generate.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class ModuleGenerator : IIncrementalGenerator
    {
        /// <inheritdoc/>
        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            var modules = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    ModuleTypes.ModuleAttributeName,
                    predicate: static (node, _) => node is ClassDeclarationSyntax,
                    transform: static (context, cancellationToken) =>
                        ModuleTypes.TryCreate(context.SemanticModel.Compilation) is { } types
                            ? Parser.Parse((INamedTypeSymbol)context.TargetSymbol, types, report: null, cancellationToken, context.SemanticModel.Compilation)
                            : null)
                .WithTrackingName(TrackingNames.ParsedModules)
                .Where(static model => model is not null)
                .WithTrackingName(TrackingNames.Modules);

            context.RegisterSourceOutput(modules, static (output, model) =>
                output.AddSource(model!.HintName, Emitter.Emit(model)));
        }
    }
}
