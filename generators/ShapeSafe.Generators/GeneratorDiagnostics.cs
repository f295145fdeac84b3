using Microsoft.CodeAnalysis;

namespace ShapeSafe.Generators
{
    /// <summary>The ids of the generator's diagnostics (SS2000–SS2999, API.md "The generator").</summary>
    public static class GeneratorDiagnosticIds
    {
        /// <summary>A class derives from <c>Module</c> and holds state, but nothing registers it.</summary>
        public const string UnregisteredModuleState = "SS2001";

        /// <summary>A <c>[Module]</c> class is not <c>partial</c>.</summary>
        public const string ModuleNotPartial = "SS2002";

        /// <summary>A <c>[Module]</c> class does not derive from <c>Module</c>.</summary>
        public const string ModuleWithoutModuleBase = "SS2003";

        /// <summary>A <c>[Module]</c> class is nested in a type that is not <c>partial</c>.</summary>
        public const string ContainingTypeNotPartial = "SS2004";

        /// <summary>Two members of a <c>[Module]</c> class are registered under one name.</summary>
        public const string DuplicateStateName = "SS2005";

        /// <summary><c>[Buffer]</c> or <c>[StateName]</c> on a member that cannot be state.</summary>
        public const string UnsupportedStateMember = "SS2006";

        /// <summary>A collection of modules or tensors the generator does not register.</summary>
        public const string UnregisteredCollection = "SS2007";

        /// <summary>A state name that PyTorch would refuse (empty, or containing ".").</summary>
        public const string InvalidStateName = "SS2008";

        /// <summary>A graph break: part of a <c>[Module]</c> class's <c>Forward</c> cannot be compiled, so it runs eagerly.</summary>
        public const string GraphBreak = "SS2009";

        /// <summary>A graph break in a class marked <c>[Module(Compile = CompileMode.Required)]</c>.</summary>
        public const string RequiredGraphBreak = "SS2010";

        /// <summary>A parameter's gradient in the compiled graph is not proven to have the parameter's shape.</summary>
        public const string GradientShapeMismatch = "SS2011";

        /// <summary>An op of the compiled graph refuses the shapes it gets there, in code the shape analyzer does not check with those shapes.</summary>
        public const string GraphShapeMismatch = "SS2012";

        /// <summary>A graph break where <c>Forward</c> splits: the graph is split there, and the breaking statement runs eagerly between compiled graphs.</summary>
        public const string SplitGraphBreak = "SS2013";
    }

    /// <summary>The descriptors of the generator's diagnostics, each with its page under <c>docs/diagnostics/</c>.</summary>
    internal static class GeneratorDiagnostics
    {
        const string HelpLinkBase = "https://github.com/shapesafe/shapesafe/blob/main/docs/diagnostics/";
        const string Category = "Module";

        public static readonly DiagnosticDescriptor UnregisteredModuleState = Create(
            GeneratorDiagnosticIds.UnregisteredModuleState,
            "Module state is not registered",
            "'{0}' derives from Module and holds {1}, but is not a [Module] partial class and registers nothing by hand: its parameters are invisible to Parameters(), StateDict() and optimizers",
            "A class deriving from Module registers its layers, parameters and buffers only when the generator writes the registration ([Module] partial class) or its constructor calls RegisterModule, RegisterParameter or RegisterBuffer.",
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor ModuleNotPartial = Create(
            GeneratorDiagnosticIds.ModuleNotPartial,
            "A [Module] class must be partial",
            "'{0}' is marked [Module] but is not partial, so the generator cannot add its registration",
            "The generator writes the registration into another part of the class; declare it 'partial'.");

        public static readonly DiagnosticDescriptor ModuleWithoutModuleBase = Create(
            GeneratorDiagnosticIds.ModuleWithoutModuleBase,
            "A [Module] class must derive from Module",
            "'{0}' is marked [Module] but does not derive from ShapeSafe.NN.Module",
            "[Module] generates registration for the state a Module holds; only classes deriving from ShapeSafe.NN.Module have that state.");

        public static readonly DiagnosticDescriptor ContainingTypeNotPartial = Create(
            GeneratorDiagnosticIds.ContainingTypeNotPartial,
            "A [Module] class must be nested only in partial types",
            "'{0}' is nested in '{1}', which is not partial, so the generator cannot add its registration",
            "The generated part of a nested class is declared inside its containing types again; declare each of them 'partial'.");

        public static readonly DiagnosticDescriptor DuplicateStateName = Create(
            GeneratorDiagnosticIds.DuplicateStateName,
            "Two members registered under one name",
            "'{0}' and '{1}' are both registered as '{2}'; give one of them another name with [StateName]",
            "Each state member needs its own name: the member's name with one leading '_' dropped, or the name [StateName] gives.");

        public static readonly DiagnosticDescriptor UnsupportedStateMember = Create(
            GeneratorDiagnosticIds.UnsupportedStateMember,
            "Member cannot be module state",
            "'{0}' cannot be state: {1}",
            "[Buffer] goes on instance Tensor fields and auto-properties; [StateName] on members that are state (modules, arrays and read-only lists of modules, parameters and buffers).");

        public static readonly DiagnosticDescriptor UnregisteredCollection = Create(
            GeneratorDiagnosticIds.UnregisteredCollection,
            "Collection is not registered",
            "'{0}' is a {1}, which the generator does not register: {2}",
            "The generator registers arrays and read-only lists of modules (as a ModuleList). Other collections of modules, parameters or tensors are not state; use an array or list of modules, a ModuleList or ModuleDict member, or one member per parameter or buffer.",
            DiagnosticSeverity.Warning);

        public static readonly DiagnosticDescriptor InvalidStateName = Create(
            GeneratorDiagnosticIds.InvalidStateName,
            "Invalid state name",
            "'{0}' would be registered as '{1}', which {2}",
            "State names follow PyTorch's rules: not empty, and without '.', which separates the names of nested modules.");

        public static readonly DiagnosticDescriptor GraphBreak = Create(
            GeneratorDiagnosticIds.GraphBreak,
            "Forward runs eagerly (graph break)",
            "{0}.Forward runs eagerly: {1}",
            "The generator compiles a [Module] class's Forward into a forward and backward graph at build time. It stopped at the code named in the message (as TorchDynamo's graph_breaks log does), so Compile() returns a module that runs the eager Forward. Results are the same; only the compiled graph's speed is lost. Mark the class [Module(Compile = CompileMode.Required)] or raise this id's severity in .editorconfig to make it an error.",
            DiagnosticSeverity.Info);

        public static readonly DiagnosticDescriptor RequiredGraphBreak = Create(
            GeneratorDiagnosticIds.RequiredGraphBreak,
            "Forward must compile but breaks the graph",
            "{0} is marked Compile = CompileMode.Required, but its Forward cannot be compiled: {1}",
            "A class marked [Module(Compile = CompileMode.Required)] must compile into one graph. Rewrite the code named in the message with the ops the generator compiles (docs/compile.md), or drop Compile = CompileMode.Required to let it run eagerly.");

        public static readonly DiagnosticDescriptor GradientShapeMismatch = Create(
            GeneratorDiagnosticIds.GradientShapeMismatch,
            "Gradient shape differs from its parameter's",
            "{0}.Forward's compiled backward: {1}",
            "The generator works out the symbolic shape of every value and gradient of a compiled graph with the shape rules the analyzer uses, from Forward's [Shape] annotations and the layers' constructor arguments. The gradient the backward computes for a parameter must have the parameter's shape; here it provably has another, or one that cannot be proven equal to it, so an optimizer step could not apply it.");

        public static readonly DiagnosticDescriptor GraphShapeMismatch = Create(
            GeneratorDiagnosticIds.GraphShapeMismatch,
            "Compiled graph has a shape error",
            "{0}.Forward's compiled graph: {1}",
            "The generator works out the symbolic shape of every value of a compiled graph with the shape rules the analyzer uses. An op inside an inlined child's Forward refuses the shapes the caller gives it, so the first call would throw. The analyzer checks each Forward with its own annotations; this is what only the inlined graph shows.");

        public static readonly DiagnosticDescriptor SplitGraphBreak = Create(
            GeneratorDiagnosticIds.SplitGraphBreak,
            "Forward compiled as several graphs (graph break)",
            "{0}.Forward is compiled as {1}: {2}",
            "The generator split a [Module] class's Forward at a graph break, as TorchDynamo does: the statements before it that compile are one graph, the statement named in the message runs eagerly as written, and the statements after it are another graph. Each graph is its own autograd node; gradients flow through the eager code between them. Mark the class [Module(Compile = CompileMode.Required)] to make any graph break an error.",
            DiagnosticSeverity.Info);

        static DiagnosticDescriptor Create(string id, string title, string message, string description,
            DiagnosticSeverity severity = DiagnosticSeverity.Error) =>
            new DiagnosticDescriptor(id, title, message, Category, severity, isEnabledByDefault: true, description,
                helpLinkUri: HelpLinkBase + id + ".md");
    }
}
