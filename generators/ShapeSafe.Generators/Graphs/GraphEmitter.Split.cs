using System.Linq;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// A <c>Forward</c> split at its graph breaks: the <c>Compiled</c> class holds one nested graph class per compiled
    /// part (each written as a single graph is, with its own guards, plan and buffers), and the module gets
    /// <c>SplitForward</c>, its <c>Forward</c> with each compiled part replaced by a call of its graph and the eager
    /// statements written as they are in the source. Each graph's eager form (the part's statements as written) runs
    /// when that graph's guards do not hold.
    /// </summary>
    internal sealed partial class GraphEmitter
    {
        /// <summary>The module's method a graph's guards fall back to: its <c>Forward</c>, or a split part's eager form.</summary>
        readonly string _eagerForward = "Forward";

        /// <summary>The emitter of one compiled part's graph class: the part's graph, inputs and shapes stand in for the module's.</summary>
        GraphEmitter(SourceWriter writer, string moduleType, ForwardModel forward, ForwardPart part)
            : this(writer, moduleType, forward with { Parameters = part.Inputs, Graph = part.Graph, Shapes = part.Shapes, Variants = null, Split = null })
        {
            _className = part.Name + "Graph";
            _eagerForward = part.Name + "Eager";
        }

        void EmitSplit(SplitForward split, string version)
        {
            var @new = _forward.HidesBase ? "new " : "";
            var signature = string.Join(", ", _forward.Parameters.Select(p => TensorType + " " + p));
            var arguments = string.Join(", ", _forward.Parameters);
            var graphs = split.Parts.Where(p => p.Graph is not null).ToList();
            var generated = "[global::System.CodeDom.Compiler.GeneratedCode(\"ShapeSafe.Generators\", \"" + version + "\")]";

            _w.Line("/// <summary>");
            _w.Line("/// The compiled graphs of <see cref=\"Forward(" + string.Join(", ", _forward.Parameters.Select(_ => "ShapeSafe.Tensor")) + ")\"/>, split at its graph breaks: "
                + graphs.Count + " graph" + (graphs.Count == 1 ? "" : "s") + " (" + string.Join(", ", graphs.Select(p => p.Name)) + "),");
            _w.Line("/// each its own autograd node, and the eager code between them. <see cref=\"SplitForward\"/> runs them in order.");
            _w.Line("/// </summary>");
            _w.Line(generated);
            var tensorModule = _forward.Parameters.Count == 1 ? ", global::ShapeSafe.NN.ITensorModule" : "";
            using (_w.Block("public " + @new + "sealed class Compiled : global::ShapeSafe.NN.CompiledModule<" + _moduleType + ">" + tensorModule))
            {
                foreach (var part in graphs)
                {
                    _w.Line("/// <summary>The graph of " + Xml(part.Lines) + ".</summary>");
                    _w.Line("internal " + part.Name + "Graph " + part.Name + " { get; }");
                    _w.Line();
                }
                using (_w.Block("internal Compiled(" + _moduleType + " module, global::ShapeSafe.NN.CompileOptions? options) : base(module, options)"))
                {
                    foreach (var part in graphs)
                        _w.Line(part.Name + " = new " + part.Name + "Graph(module, options);");
                }
                _w.Line();
                _w.Line("/// <inheritdoc/>");
                _w.Line("public override bool IsCompiled => true;");
                _w.Line();
                _w.Line("/// <inheritdoc/>");
                _w.Line("public override int PlannedShapes => " + string.Join(" + ", graphs.Select(p => p.Name + ".PlannedShapes")) + ";");
                _w.Line();
                _w.Line("/// <inheritdoc/>");
                _w.Line("public override int EagerCalls => " + string.Join(" + ", graphs.Select(p => p.Name + ".EagerCalls")) + ";");
                _w.Line();
                _w.Line("/// <summary>Runs the graphs and the eager code between them, as <c>Forward</c> is written.</summary>");
                _w.Line("public " + TensorType + " Forward(" + signature + ") => Module.SplitForward(this, " + arguments + ");");
                foreach (var part in graphs)
                {
                    _w.Line();
                    _w.Line("/// <summary>The compiled graph of " + Xml(part.Lines) + ": " + Xml(Summary(part)) + "</summary>");
                    _w.Line(generated);
                    new GraphEmitter(_w, _moduleType, _forward, part)
                        .EmitGraphClass("internal sealed class " + part.Name + "Graph : global::ShapeSafe.NN.CompiledModule<" + _moduleType + ">",
                            string.Join(", ", part.Inputs.Select(p => TensorType + " " + p)));
                }
            }
            _w.Line();
            // The eager statements are the module's own code: they compile as the file that declares Forward does.
            _w.Line("#nullable restore");
            EmitSplitForward(split, signature, generated);
            foreach (var part in graphs)
            {
                _w.Line();
                EmitEagerForm(part, generated);
            }
            _w.Line("#nullable enable");
        }

        /// <summary>What a part's statements are, in one line: <c>var h = _fc1.Forward(x); ...</c>.</summary>
        static string Summary(ForwardPart part)
        {
            var text = string.Join(" ", part.Code.Select(l => l.Trim()));
            return text.Length <= 100 ? text : text.Substring(0, 97) + "...";
        }

        void EmitSplitForward(SplitForward split, string signature, string generated)
        {
            var graphs = split.GraphsParameter;
            _w.Line("/// <summary>");
            _w.Line("/// <c>Forward</c> as <see cref=\"Compiled\"/> runs it: each part that compiles is a call of its graph, and the statements");
            _w.Line("/// that break the graph run eagerly between them, as written. Gradients reach the earlier graphs through eager autograd.");
            _w.Line("/// </summary>");
            _w.Line(generated);
            using (_w.Block(TensorType + " SplitForward(Compiled " + graphs + ", " + signature + ")"))
            {
                for (int i = 0; i < split.Parts.Count; i++)
                {
                    var part = split.Parts[i];
                    if (i > 0) _w.Line();
                    if (part.Graph is null)
                    {
                        _w.Line("// " + part.Lines + (part.Reason.Length > 0 ? ", eager: " + part.Reason : ", eager"));
                        foreach (var line in part.Code) _w.Line(line);
                        continue;
                    }
                    _w.Line("// " + part.Lines + ", compiled: " + Summary(part));
                    foreach (var local in part.DeclaredForLater)
                        _w.Line(local.Type + " " + local.Name + ";");
                    var call = graphs + "." + part.Name + ".Forward(" + string.Join(", ", part.Inputs) + ");";
                    _w.Line(part.Output.Length == 0 ? "return " + call : (part.DeclaresOutput ? "var " : "") + part.Output + " = " + call);
                }
            }
        }

        /// <summary>A compiled part's statements as written, which its graph runs instead when a guard does not hold.</summary>
        void EmitEagerForm(ForwardPart part, string generated)
        {
            _w.Line("/// <summary>" + Xml(part.Lines) + " as written, which <see cref=\"Compiled." + part.Name + "Graph\"/> runs when its guards do not hold.</summary>");
            _w.Line(generated);
            using (_w.Block(TensorType + " " + part.Name + "Eager(" + string.Join(", ", part.Inputs.Select(p => TensorType + " " + p)) + ")"))
            {
                foreach (var local in part.AssignedFirst)
                    _w.Line(local.Type + " " + local.Name + ";");
                foreach (var line in part.Code) _w.Line(line);
                if (part.Output.Length > 0) _w.Line("return " + part.Output + ";");
            }
        }
    }
}
