using System.Collections.Generic;
using System.Linq;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// A <c>Forward</c> with branches on values known when the graph is bound: the <c>Compiled</c> class holds one
    /// nested class per variant (each written as a single graph is), reads the readonly options once when it binds to
    /// pick the variant of each mode, and at each call runs the variant of the module's <c>Training</c>.
    /// </summary>
    internal sealed partial class GraphEmitter
    {
        readonly string _className = "Compiled";

        /// <summary>Whether this graph is one variant of several (a nested class of <c>Compiled</c>, deriving from its <c>Variant</c>).</summary>
        readonly bool _isVariant;

        /// <summary>The emitter of one variant's graph class: its graph and its symbolic shapes stand in for the module's own.</summary>
        GraphEmitter(SourceWriter writer, string moduleType, ForwardModel forward, GraphVariant variant, string className)
            : this(writer, moduleType, forward with { Graph = variant.Graph, Shapes = variant.Shapes, Variants = null })
        {
            _className = className;
            _isVariant = true;
            _variantName = className + ": " + Describe(variant);
        }

        /// <summary>For a variant: its class and the conditions of its path, as its memory report names it (<c>Variant1: !Training</c>).</summary>
        readonly string _variantName = "";

        string ConstructorAccess => _isVariant ? "public" : "internal";

        string ForwardModifier => _isVariant ? "override " : "";

        void EmitVariants(GraphVariants variants, string version)
        {
            var @new = _forward.HidesBase ? "new " : "";
            var signature = string.Join(", ", _forward.Parameters.Select(p => TensorType + " " + p));
            var arguments = string.Join(", ", _forward.Parameters);
            var indexed = new List<(GraphVariant Variant, int Index)>();
            int compiled = 0;
            foreach (var variant in variants.Variants)
                indexed.Add((variant, variant.Graph is null ? -1 : compiled++));
            bool mayThrow = compiled < variants.Variants.Count;
            bool training = variants.ReadsTraining;
            var nullable = mayThrow ? "?" : "";
            var fields = training ? new[] { "_trainingVariant", "_evalVariant" } : new[] { "_variant" };

            _w.Line("/// <summary>");
            _w.Line("/// The compiled graphs of <see cref=\"Forward(" + string.Join(", ", _forward.Parameters.Select(_ => "ShapeSafe.Tensor")) + ")\"/>: one per combination of the outcomes of its");
            _w.Line("/// branches (" + variants.Variants.Count + " combinations, " + compiled + " graphs). The readonly options they read are read once, when the module is compiled;");
            _w.Line(training
                ? "/// each call runs the graph of the module's <c>Training</c> mode."
                : "/// every call runs the graph they pick.");
            _w.Line("/// </summary>");
            _w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"ShapeSafe.Generators\", \"" + version + "\")]");
            var tensorModule = _forward.Parameters.Count == 1 ? ", global::ShapeSafe.NN.ITensorModule" : "";
            using (_w.Block("public " + @new + "sealed class Compiled : global::ShapeSafe.NN.CompiledModule<" + _moduleType + ">" + tensorModule))
            {
                foreach (var child in variants.Children)
                    _w.Line("readonly " + child.Type + " " + ForwardCapture.Member(child.Path) + ";");
                foreach (var field in fields)
                    _w.Line("readonly Variant" + nullable + " " + field + ";");
                if (mayThrow || variants.Children.Any(c => c.FollowsMode))
                    _w.Line("int _eagerCalls;");
                _w.Line();
                using (_w.Block("internal Compiled(" + _moduleType + " module, global::ShapeSafe.NN.CompileOptions? options) : base(module, options)"))
                {
                    foreach (var child in variants.Children)
                        _w.Line(ForwardCapture.Member(child.Path) + " = Bind<" + child.Type + ">(\"" + child.Path + "\");");
                    _w.Line("// The options the branches read are readonly fields, fixed once the module's constructor has run: read here, once.");
                    if (training)
                    {
                        _w.Line("int training = Select(training: true);");
                        _w.Line("int eval = Select(training: false);");
                        _w.Line("_trainingVariant = Create(training, module, options);");
                        _w.Line("_evalVariant = eval == training ? _trainingVariant : Create(eval, module, options);");
                    }
                    else
                    {
                        _w.Line("_variant = Create(Select(), module, options);");
                    }
                }
                _w.Line();
                _w.Line("/// <inheritdoc/>");
                _w.Line("public override bool IsCompiled => " + (mayThrow ? string.Join(" || ", fields.Select(f => f + " is not null")) : "true") + ";");
                _w.Line();
                _w.Line("/// <inheritdoc/>");
                _w.Line("public override int PlannedShapes => " + SumOverVariants(fields, "PlannedShapes", mayThrow) + ";");
                _w.Line();
                _w.Line("/// <inheritdoc/>");
                _w.Line("public override int EagerCalls => " + (mayThrow || variants.Children.Any(c => c.FollowsMode) ? "_eagerCalls + " : "")
                    + SumOverVariants(fields, "EagerCalls", mayThrow) + ";");
                _w.Line();
                EmitVariantMemoryReport(fields, mayThrow);
                _w.Line();
                EmitSelect(variants, indexed, training);
                _w.Line();
                _w.Line("/// <summary>The graph of variant <paramref name=\"variant\"/>" + (mayThrow ? " (null for -1, a combination whose <c>Forward</c> throws: eager mode runs it and throws)" : "") + ".</summary>");
                using (_w.Block("static Variant" + nullable + " Create(int variant, " + _moduleType + " module, global::ShapeSafe.NN.CompileOptions? options)"))
                using (_w.Block("switch (variant)"))
                {
                    for (int i = 0; i < compiled; i++)
                        _w.Line("case " + i + ": return new Variant" + i + "(module, options);");
                    _w.Line(mayThrow ? "default: return null;" : "default: throw new global::System.ArgumentOutOfRangeException(nameof(variant));");
                }
                _w.Line();
                EmitVariantForward(variants, signature, arguments, mayThrow);
                foreach (var accessor in variants.Accessors)
                {
                    _w.Line();
                    _w.Line("/// <summary>" + Xml(accessor.DeclaringType.Replace("global::", "")) + "'s readonly " + Xml(accessor.Field) + ", which this class cannot name.</summary>");
                    _w.Line("[global::System.Runtime.CompilerServices.UnsafeAccessor(global::System.Runtime.CompilerServices.UnsafeAccessorKind.Field, Name = \"" + accessor.Field + "\")]");
                    _w.Line("static extern ref readonly " + accessor.FieldType + " " + accessor.Name + "(" + accessor.DeclaringType + " module);");
                }
                _w.Line();
                _w.Line("/// <summary>What every variant's graph has: the module's <c>Forward</c>.</summary>");
                using (_w.Block("abstract class Variant : global::ShapeSafe.NN.CompiledModule<" + _moduleType + ">"))
                {
                    _w.Line("protected Variant(" + _moduleType + " module, global::ShapeSafe.NN.CompileOptions? options) : base(module, options) { }");
                    _w.Line();
                    _w.Line("public abstract " + TensorType + " Forward(" + signature + ");");
                }
                foreach (var (variant, index) in indexed.Where(v => v.Index >= 0))
                {
                    _w.Line();
                    _w.Line("/// <summary>The graph of <c>" + Xml(Describe(variant)) + "</c>.</summary>");
                    new GraphEmitter(_w, _moduleType, _forward, variant, "Variant" + index)
                        .EmitGraphClass("sealed class Variant" + index + " : Variant", signature);
                }
            }
        }

        /// <summary>The memory report of the variant a mode picks: the variant's own, which names it.</summary>
        void EmitVariantMemoryReport(string[] fields, bool mayThrow)
        {
            _w.Line("/// <summary>The report of the graph the options pick in the mode <paramref name=\"training\"/>; <see cref=\"global::ShapeSafe.NN.CompiledMemoryReport.Variant\"/> names it.</summary>");
            using (_w.Block("public override global::ShapeSafe.NN.CompiledMemoryReport MemoryReport(bool training, params int[][] inputShapes)"))
            {
                _w.Line("var variant = " + (fields.Length == 2 ? "training ? " + fields[0] + " : " + fields[1] : fields[0]) + ";");
                if (mayThrow)
                    _w.Line("if (variant is null) throw new global::System.NotSupportedException(\"MemoryReport: \" + Module.GetType().Name + \"'s options take a path of its Forward that throws"
                        + (fields.Length == 2 ? " in \" + (training ? \"training\" : \"eval\") + \" mode" : "") + ", so it runs eagerly and has no buffer set\");");
                _w.Line("return variant.MemoryReport(training, inputShapes);");
            }
        }

        /// <summary>A count summed over the variants the options picked, each counted once.</summary>
        static string SumOverVariants(string[] fields, string member, bool mayThrow)
        {
            string Of(string field) => mayThrow ? "(" + field + "?." + member + " ?? 0)" : field + "." + member;
            return fields.Length == 1
                ? Of(fields[0])
                : Of(fields[0]) + " + (" + fields[1] + " == " + fields[0] + " ? 0 : " + Of(fields[1]) + ")";
        }

        /// <summary>The decision tree of the branches, in the order <c>Forward</c> meets them; each leaf returns its variant.</summary>
        void EmitSelect(GraphVariants variants, List<(GraphVariant Variant, int Index)> indexed, bool training)
        {
            _w.Line("/// <summary>");
            _w.Line("/// The variant the branches take for this module's options" + (training ? " in the given mode" : "") + ", their conditions tested in the order");
            _w.Line("/// <c>Forward</c> meets them" + (indexed.Any(v => v.Index < 0) ? "; -1 where that path throws" : "") + ".");
            _w.Line("/// </summary>");
            using (_w.Block("int Select(" + (training ? "bool training" : "") + ")"))
                EmitTree(indexed, 0);
        }

        void EmitTree(List<(GraphVariant Variant, int Index)> group, int depth)
        {
            if (group.Count == 1 && group[0].Variant.Decisions.Count == depth)
            {
                _w.Line(Leaf(group[0]));
                return;
            }
            var condition = group[0].Variant.Decisions[depth].Condition;
            var taken = group.Where(v => v.Variant.Decisions[depth].Taken).ToList();
            var other = group.Where(v => !v.Variant.Decisions[depth].Taken).ToList();
            if (taken.Count == 1 && taken[0].Variant.Decisions.Count == depth + 1)
            {
                _w.Line("if (" + condition + ") " + Leaf(taken[0]));
            }
            else
            {
                using (_w.Block("if (" + condition + ")"))
                    EmitTree(taken, depth + 1);
            }
            EmitTree(other, depth + 1);
        }

        static string Leaf((GraphVariant Variant, int Index) leaf) =>
            leaf.Index >= 0 ? "return " + leaf.Index + ";" : "return -1; // " + leaf.Variant.Throws;

        /// <summary>A variant's conditions as written, each negated where the variant takes its false side: <c>Training, !_gated (in block)</c>.</summary>
        static string Describe(GraphVariant variant) =>
            string.Join(", ", variant.Decisions.Select(d =>
                (d.Taken ? d.Source : IsName(d.Source) ? "!" + d.Source : "!(" + d.Source + ")") + (d.Module.Length == 0 ? "" : " (in " + d.Module + ")")));

        static bool IsName(string text) => text.All(c => char.IsLetterOrDigit(c) || c is '_' or '.');

        void EmitVariantForward(GraphVariants variants, string signature, string arguments, bool mayThrow)
        {
            var followers = variants.Children.Where(c => c.FollowsMode).ToList();
            var picked = variants.ReadsTraining ? "Runs the graph of the module's mode" : "Runs the graph the options picked";
            if (!mayThrow && followers.Count == 0)
            {
                _w.Line("/// <summary>" + picked + ".</summary>");
                _w.Line("public " + TensorType + " Forward(" + signature + ") => "
                    + (variants.ReadsTraining ? "(Module.Training ? _trainingVariant : _evalVariant)" : "_variant") + ".Forward(" + arguments + ");");
                return;
            }
            var eager = new List<string>();
            if (mayThrow) eager.Add("where that combination throws");
            if (followers.Count > 0) eager.Add("where an inlined child whose branches read its <c>Training</c> is in another mode than the module");
            _w.Line("/// <summary>" + picked + " (the module's eager <c>Forward</c> " + string.Join(", or ", eager) + ").</summary>");
            using (_w.Block("public " + TensorType + " Forward(" + signature + ")"))
            {
                if (variants.ReadsTraining)
                {
                    _w.Line("bool training = Module.Training;");
                    _w.Line("var variant = training ? _trainingVariant : _evalVariant;");
                }
                else
                {
                    _w.Line("var variant = _variant;");
                }
                var guards = new List<string>();
                if (mayThrow) guards.Add("variant is null");
                guards.AddRange(followers.Select(c => ForwardCapture.Member(c.Path) + ".Training != training"));
                if (guards.Count > 0)
                {
                    if (followers.Count > 0)
                        _w.Line("// Eager mode lets a child's mode differ from its parent's; the graphs follow the module's.");
                    using (_w.Block("if (" + string.Join(" || ", guards) + ")"))
                    {
                        _w.Line("_eagerCalls++;");
                        _w.Line("return Module.Forward(" + arguments + ");");
                    }
                }
                _w.Line("return variant.Forward(" + arguments + ");");
            }
        }
    }
}
