using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Analyzers.Inference;

namespace ShapeSafe.Analyzers
{
    /// <summary>
    /// Infers tensor shapes through each method body and reports the shape errors that are certain
    /// (SS0001–SS0008, SS0010), plus the opt-in SS1000 that shows each tensor local's shape.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class ShapeAnalyzer : DiagnosticAnalyzer
    {
        /// <inheritdoc/>
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            DiagnosticDescriptors.ViewOnIncompatibleLayout,
            DiagnosticDescriptors.MatrixProductMismatch,
            DiagnosticDescriptors.JoinMismatch,
            DiagnosticDescriptors.ElementCountMismatch,
            DiagnosticDescriptors.BroadcastMismatch,
            DiagnosticDescriptors.DimOutOfRange,
            DiagnosticDescriptors.ShapeAnnotationMismatch,
            DiagnosticDescriptors.LayerConfigurationMismatch,
            DiagnosticDescriptors.EmptyWindowOutput,
            DiagnosticDescriptors.InferredShape);

        /// <inheritdoc/>
        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var symbols = EngineSymbols.TryCreate(start.Compilation);
                if (symbols is null) return;
                var data = new AnalysisContextData(symbols, new ModuleConfigurations(start.Compilation));
                start.RegisterOperationBlockAction(block => AnalyzeBlock(block, data, InferredShapesEnabled(block), AssumeContiguousParameters(block)));
            });
        }

        /// <summary>SS1000 is off by default; build its messages only where a setting turns it on.</summary>
        static bool InferredShapesEnabled(OperationBlockAnalysisContext context)
        {
            var options = context.Compilation.Options;
            if (options.SpecificDiagnosticOptions.TryGetValue(DiagnosticIds.InferredShape, out var specific))
                return specific != ReportDiagnostic.Suppress;
            var tree = context.OperationBlocks.FirstOrDefault()?.Syntax.SyntaxTree;
            var provider = options.SyntaxTreeOptionsProvider;
            if (tree is not null && provider is not null)
            {
                if (provider.TryGetDiagnosticValue(tree, DiagnosticIds.InferredShape, context.CancellationToken, out var perTree))
                    return perTree != ReportDiagnostic.Suppress;
                if (provider.TryGetGlobalDiagnosticValue(DiagnosticIds.InferredShape, context.CancellationToken, out var global))
                    return global != ReportDiagnostic.Suppress;
            }
            return false;
        }

        /// <summary>
        /// The .editorconfig key for the layout of annotated tensor parameters: they count as contiguous (SS0001 checks
        /// views after their transposes) unless it is <c>false</c> or the parameter is marked <c>[Strided]</c>.
        /// </summary>
        public const string AssumeContiguousParametersKey = "shapesafe.assume_contiguous_parameters";

        static bool AssumeContiguousParameters(OperationBlockAnalysisContext context)
        {
            var tree = context.OperationBlocks.FirstOrDefault()?.Syntax.SyntaxTree;
            if (tree is null) return true;
            var options = context.Options.AnalyzerConfigOptionsProvider.GetOptions(tree);
            return !(options.TryGetValue(AssumeContiguousParametersKey, out var value) && string.Equals(value?.Trim(), "false", System.StringComparison.OrdinalIgnoreCase));
        }

        static void AnalyzeBlock(OperationBlockAnalysisContext context, AnalysisContextData data, bool reportShapes, bool assumeContiguous)
        {
            foreach (var block in context.OperationBlocks)
            {
                // A method's blocks may be its body block or the whole method body; analyze each method once, from its root.
                var root = block;
                while (root.Parent is not null) root = root.Parent;
                if (root is ISymbolInitializerOperation { Value: { } initialValue } && MentionsEngineTypes(root, data.Symbols))
                {
                    // readonly Bottleneck _block = new Bottleneck(256, 64): the module is checked for those sizes here.
                    new MethodInference(data, context.OwningSymbol, context.ReportDiagnostic) { Model = block.SemanticModel, AssumeContiguousParameters = assumeContiguous }
                        .CheckInitializer(initialValue);
                    continue;
                }
                if (root is not (IMethodBodyOperation or IConstructorBodyOperation) || (root != block && context.OperationBlocks.Contains(root))) continue;
                if (root != block && !ReferenceEquals(FirstBodyBlock(context, root), block)) continue;
                if (!MentionsEngineTypes(root, data.Symbols)) continue; // no tensor or module in sight: skip the control-flow graph
                var graph = context.GetControlFlowGraph(block);
                var untracked = CapturedAndAssigned(root);
                var inference = new MethodInference(data, context.OwningSymbol, context.ReportDiagnostic, untracked) { ReportInferredShapes = reportShapes, Model = block.SemanticModel, AssumeContiguousParameters = assumeContiguous };
                var parameters = context.OwningSymbol is IMethodSymbol method ? method.Parameters : ImmutableArray<IParameterSymbol>.Empty;
                inference.Analyze(graph, inference.InitialState(parameters));

                foreach (var localFunction in graph.LocalFunctions)
                {
                    var inner = new MethodInference(data, localFunction, context.ReportDiagnostic, untracked) { ReportInferredShapes = reportShapes, Model = block.SemanticModel, AssumeContiguousParameters = assumeContiguous };
                    inner.Analyze(graph.GetLocalFunctionControlFlowGraph(localFunction), inner.InitialState(localFunction.Parameters));
                }
            }
        }

        /// <summary>Whether any expression in <paramref name="root"/> is a tensor, a module or a sequence of them.</summary>
        static bool MentionsEngineTypes(IOperation root, EngineSymbols symbols)
        {
            foreach (var operation in root.Descendants())
            {
                var type = operation.Type;
                if (type is null || type.SpecialType != SpecialType.None) continue;
                if (symbols.IsTensor(type) || symbols.IsModule(type) || symbols.IsTensorSequence(type) || symbols.IsModuleSequence(type)) return true;
            }
            return false;
        }

        static IOperation? FirstBodyBlock(OperationBlockAnalysisContext context, IOperation root)
        {
            foreach (var block in context.OperationBlocks)
            {
                var r = block;
                while (r.Parent is not null) r = r.Parent;
                if (ReferenceEquals(r, root)) return block;
            }
            return null;
        }

        /// <summary>
        /// Locals and parameters that a lambda or local function assigns: they may change whenever the delegate
        /// runs, so the flow analysis does not track them.
        /// </summary>
        internal static HashSet<ISymbol> CapturedAndAssigned(IOperation block)
        {
            var result = new HashSet<ISymbol>(SymbolEqualityComparer.Default);
            foreach (var function in block.Descendants())
            {
                if (function is not (IAnonymousFunctionOperation or ILocalFunctionOperation)) continue;
                foreach (var operation in function.Descendants())
                {
                    IOperation? target = operation switch
                    {
                        IAssignmentOperation a => a.Target,
                        IIncrementOrDecrementOperation i => i.Target,
                        IArgumentOperation { Parameter.RefKind: RefKind.Ref or RefKind.Out } r => r.Value,
                        _ => null,
                    };
                    switch (target)
                    {
                        case ILocalReferenceOperation local: result.Add(local.Local); break;
                        case IParameterReferenceOperation parameter: result.Add(parameter.Parameter); break;
                    }
                }
            }
            return result;
        }
    }
}
