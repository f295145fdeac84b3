using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// Writes a module's <c>Compile()</c> and its compiled graph: straight-line forward code calling the engine's
    /// kernels (<c>GraphOps</c>), the backward in reverse calling the same gradient kernels eager autograd calls, a
    /// plan that works out every shape once per input shape, and the buffer set whose slots the buffers share.
    /// </summary>
    internal sealed partial class GraphEmitter
    {
        const string Ops = "global::ShapeSafe.CompiledGraphs.GraphOps";
        const string TensorType = "global::ShapeSafe.Tensor";

        readonly SourceWriter _w;
        readonly string _moduleType;
        readonly ForwardModel _forward;
        readonly GraphPlanner? _plan;
        readonly List<(string Module, string Member)> _parameters = new List<(string, string)>();
        // Parameters declared nullable: every bias, a layer norm's weight (without an affine transform), ...
        readonly HashSet<(string Module, string Member)> _nullable = new HashSet<(string, string)>();

        GraphEmitter(SourceWriter writer, string moduleType, ForwardModel forward)
        {
            _w = writer;
            _moduleType = moduleType;
            _forward = forward;
            if (forward.Graph is { } graph)
            {
                _plan = GraphPlanner.Plan(graph, forward.Shapes);
                foreach (var step in _plan.Steps.Where(s => s.HasParameters))
                {
                    // A module's parameters are taken once (a layer called twice, or as self- and cross-attention).
                    foreach (var member in step.ParameterMembers)
                    {
                        if (_parameters.Contains((step.Module, member))) continue;
                        _parameters.Add((step.Module, member));
                        if (step.MayBeNull(member)) _nullable.Add((step.Module, member));
                    }
                }
            }
        }

        /// <summary>The tensors that take gradients, in the node's input order: the arguments, each layer's parameter, then the module's own.</summary>
        int Differentiable => _forward.Parameters.Count + _parameters.Count + OwnParameterCount;

        public static void Emit(SourceWriter writer, string moduleType, ForwardModel forward, string version) =>
            new GraphEmitter(writer, moduleType, forward).Emit(version);

        void Emit(string version)
        {
            var @new = _forward.HidesBase ? "new " : "";
            var signature = string.Join(", ", _forward.Parameters.Select(p => TensorType + " " + p));
            _w.Line();
            _w.Line("/// <summary>");
            _w.Line(_plan is null && _forward.Variants is null && _forward.Split is null
                ? "/// This module's <c>Forward</c> as a compiled module. The generator could not compile it (" + Xml(_forward.Break) + "), so its <c>Forward</c> runs eagerly."
                : "/// This module's <c>Forward</c> as a graph compiled at build time: one autograd node per call, whose backward is generated code, training this module's own parameters.");
            _w.Line("/// </summary>");
            _w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"ShapeSafe.Generators\", \"" + version + "\")]");
            _w.Line("public " + @new + "Compiled Compile(global::ShapeSafe.NN.CompileOptions? options = null) => new Compiled(this, options);");
            _w.Line();
            _w.Line("global::ShapeSafe.NN.CompiledModule global::ShapeSafe.NN.ICompilableModule.Compile(global::ShapeSafe.NN.CompileOptions? options) => Compile(options);");
            _w.Line();
            if (_forward.Variants is { } variants)
            {
                EmitVariants(variants, version);
                return;
            }
            if (_forward.Split is { } split)
            {
                EmitSplit(split, version);
                return;
            }
            _w.Line("/// <summary>The compiled graph of <see cref=\"Forward(" + string.Join(", ", _forward.Parameters.Select(_ => "ShapeSafe.Tensor")) + ")\"/>.</summary>");
            _w.Line("[global::System.CodeDom.Compiler.GeneratedCode(\"ShapeSafe.Generators\", \"" + version + "\")]");
            // A one-tensor Forward makes the graph usable by code written against ITensorModule, such as the trainer.
            var tensorModule = _forward.Parameters.Count == 1 ? ", global::ShapeSafe.NN.ITensorModule" : "";
            EmitGraphClass("public " + @new + "sealed class Compiled : global::ShapeSafe.NN.CompiledModule<" + _moduleType + ">" + tensorModule, signature);
        }

        /// <summary>The class of one graph: its bound children, forward, backward, plan and buffers (or, at a graph break, the eager Forward).</summary>
        void EmitGraphClass(string header, string signature)
        {
            using (_w.Block(header))
            {
                if (_plan is null)
                {
                    _w.Line("internal Compiled(" + _moduleType + " module, global::ShapeSafe.NN.CompileOptions? options) : base(module, options) { }");
                    _w.Line();
                    _w.Line("/// <inheritdoc/>");
                    _w.Line("public override bool IsCompiled => false;");
                    _w.Line();
                    _w.Line("/// <summary>Runs the module's eager <c>Forward</c>: " + Xml(_forward.Break) + ".</summary>");
                    _w.Line("public " + TensorType + " Forward(" + signature + ") => Module.Forward(" + string.Join(", ", _forward.Parameters) + ");");
                    return;
                }
                EmitFields();
                EmitForward(signature);
                _w.Line();
                EmitBackward();
                _w.Line();
                _w.Line("/// <inheritdoc/>");
                _w.Line("protected override object CreatePlan(int[][] inputSizes) => new Plan(this, inputSizes);");
                _w.Line();
                EmitMemoryReport();
                _w.Line();
                EmitPlan();
                _w.Line();
                EmitBuffers();
            }
        }

        void EmitFields()
        {
            foreach (var module in LiveModules())
                _w.Line("readonly " + module.Type + " " + ForwardCapture.Member(module.Path) + ";");
            foreach (var (member, field) in BoundScalars())
            {
                _w.Line("/// <summary>The module's " + field + " as the float the eager op computes with, read when the graph is bound.</summary>");
                _w.Line("readonly float " + member + ";");
            }
            EmitStateFields();
            _w.Line();
            using (_w.Block(ConstructorAccess + " " + _className + "(" + _moduleType + " module, global::ShapeSafe.NN.CompileOptions? options) : base(module, options)"))
            {
                foreach (var module in LiveModules())
                    _w.Line(ForwardCapture.Member(module.Path) + " = Bind<" + module.Type + ">(\"" + module.Path + "\");");
                foreach (var (member, field) in BoundScalars())
                    _w.Line(member + " = (float)module." + field + ";");
                EmitStateBindings();
            }
            _w.Line();
            _w.Line("/// <inheritdoc/>");
            _w.Line("public override bool IsCompiled => true;");
            _w.Line();
        }

        bool MayBeNull((string Module, string Member) parameter) => _nullable.Contains(parameter);

        /// <summary>The children the planned steps call: a child only dead code used is neither bound nor checked.</summary>
        IEnumerable<BoundModule> LiveModules()
        {
            var used = new HashSet<string>(_plan!.Steps.SelectMany(s => new[] { s.Module, s.PoolModule }).Where(m => m.Length > 0));
            return _forward.Graph!.Modules.Where(m => used.Contains(m.Path));
        }

        /// <summary>The module's readonly fields that live scalar steps read: the compiled class's copy and the field.</summary>
        IEnumerable<(string Member, string Field)> BoundScalars() =>
            _plan!.Steps.Where(s => s.HasScalar && s.Nodes[0].Arguments.Count == 2)
                .Select(s => (s.Nodes[0].Arguments[0], s.Nodes[0].Arguments[1])).Distinct();

        string Param(int index)
        {
            if (IsOwnParameterIndex(index)) return StateField(OwnParameterAt(index));
            int p = index - _forward.Parameters.Count;
            return ForwardCapture.Member(_parameters[p].Module) + "." + _parameters[p].Member;
        }

        string Need(int index) => WideNeeds ? "needs[" + index.ToString(CultureInfo.InvariantCulture) + "]" : "(needs & 0x" + (1UL << index).ToString("X", CultureInfo.InvariantCulture) + "UL) != 0";

        void EmitForward(string signature)
        {
            var plan = _plan!;
            _w.Line("/// <summary>Runs the compiled forward (the module's eager <c>Forward</c> when a guard does not hold).</summary>");
            using (_w.Block("public " + ForwardModifier + TensorType + " Forward(" + signature + ")"))
            {
                var arguments = string.Join(", ", _forward.Parameters);
                // The guard's dtypes: Float32, or Int64 for an embedding's indices.
                var guarded = GuardsEachInput ? EachInputGuard()
                    : Enumerable.Range(0, _forward.Parameters.Count).Any(plan.IsIndexInput)
                    ? string.Join(", ", _forward.Parameters.Select((p, i) => p + ", global::ShapeSafe.DType." + (plan.IsIndexInput(i) ? "Int64" : "Float32")))
                    : arguments;
                _w.Line("if (PlanFor<Plan>(" + guarded + ") is not { } plan) return Module." + _eagerForward + "(" + arguments + ");");
                EmitBufferReads(arguments);
                if (WideNeeds) EmitWideNeeds();
                else
                {
                    var needs = new List<string>();
                    for (int i = 0; i < Differentiable; i++)
                    {
                        var tensor = i < _forward.Parameters.Count ? _forward.Parameters[i] : Param(i);
                        var requires = i >= _forward.Parameters.Count && !IsOwnParameterIndex(i) && MayBeNull(_parameters[i - _forward.Parameters.Count]) ? tensor + "?.RequiresGrad == true" : tensor + ".RequiresGrad";
                        needs.Add("(" + requires + " ? 0x" + (1UL << i).ToString("X", CultureInfo.InvariantCulture) + "UL : 0UL)");
                    }
                    _w.Line("// Which of the arguments and parameters need a gradient, one bit each in the node's input order.");
                    for (int i = 0; i < needs.Count; i++)
                        _w.Line((i == 0 ? "ulong needs = " : "    | ") + needs[i] + (i == needs.Count - 1 ? ";" : ""));
                    _w.Line("bool record = needs != 0 && global::ShapeSafe.Autograd.IsGradEnabled;");
                }
                _w.Line("var b = plan.Rent();");
                InputShapeComments();
                StateShapeComments();
                for (int i = 0; i < _forward.Parameters.Count; i++)
                    _w.Line("var " + InputData(i) + " = " + Ops + ".Contiguous(" + _forward.Parameters[i] + ");");
                EmitParameterReads();
                _w.Line("var output = NewOutput(plan.OutputShape);");
                foreach (var step in plan.Steps)
                {
                    _w.Line();
                    Comment(step);
                    ShapeComment(step, backward: false);
                    ForwardStep(step);
                }
                if (plan.OutputIsCopied)
                    _w.Line(Ops + ".Copy(" + Expr(plan.Output, backward: false) + ", output);");
                _w.Line();
                using (_w.Block("if (!record)"))
                {
                    _w.Line("plan.Return(b);");
                    _w.Line("return output;");
                }
                for (int i = 0; i < _forward.Parameters.Count; i++)
                    _w.Line("b.Inputs[" + i + "] = " + InputData(i) + ";");
                EmitStateSaves();
                _w.Line("b.Output = output;");
                _w.Line("b.Needs = needs;");
                var inputs = Enumerable.Range(0, Differentiable).Select(i => i < _forward.Parameters.Count ? _forward.Parameters[i] : Param(i));
                _w.Line("return Record(output, \"CompiledFunctionBackward\", new " + TensorType + "?[] { " + string.Join(", ", inputs) + " }, b.Backward, b.Released);");
            }
        }

        string InputData(int i) => _forward.Parameters[i] + "Data";

        void Comment(PlannedStep step)
        {
            foreach (var node in step.Nodes) _w.Line("// " + node.Source);
        }

        /// <summary>Where a value is read: an argument, a per-call view of one, a buffer, or the output.</summary>
        string Expr(PlannedValue value, bool backward) => backward && _plan!.IsRecomputed(value) ? "b." + _plan.RecomputedName(value) : value.Home switch
        {
            Home.Input => LeafData(value),
            Home.InputView => value.Name.Substring(0, 1).ToLowerInvariant() + value.Name.Substring(1),
            Home.Output => "output",
            _ => "b." + value.Name,
        };

        string Module(string path) => ForwardCapture.Member(path);

        /// <summary>A step's forward kernel; <paramref name="recompute"/>: run again in the backward, on the operands as the backward has them.</summary>
        void ForwardStep(PlannedStep step, bool recompute = false)
        {
            var input = Expr(step.Inputs[0], recompute);
            var output = Expr(step.Output, recompute);
            var m = Module(step.Module);
            var name = step.Output.Name;
            switch (step.Kind)
            {
                case StepKind.Linear:
                case StepKind.LinearRelu:
                    _w.Line(Ops + ".Linear(" + input + ", " + m + ".Weight, " + m + ".Bias, " + Activation(step) + ", " + output + ");");
                    break;
                case StepKind.Conv2d:
                case StepKind.Conv2dRelu:
                    _w.Line(Ops + ".Conv2d(plan." + name + "Conv, " + input + ", " + m + ".Weight, " + m + ".Bias, " + Activation(step) + ", " + output + ");");
                    break;
                case StepKind.Conv2dReluMaxPool:
                    _w.Line(Ops + ".Conv2dReluMaxPool(plan." + name + "Conv, plan." + name + "Pool, " + input + ", " + m + ".Weight, " + m + ".Bias, "
                        + output + ", b." + name + "Indices, b." + name + "Convolved);");
                    break;
                case StepKind.MaxPool2d:
                    _w.Line(Ops + ".MaxPool2d(plan." + name + "Pool, " + input + ", " + output + ", b." + name + "Indices);");
                    break;
                case StepKind.LayerNorm:
                    _w.Line(Ops + ".LayerNorm(" + m + ", " + input + ", " + output + ", b." + name + "Mean, b." + name + "InvStd);");
                    break;
                case StepKind.BatchNorm:
                    _w.Line("b." + name + "BatchStatistics = " + Ops + ".BatchNorm(" + m + ", " + input + ", " + output + ", b." + name + "Mean, b." + name + "InvStd, b."
                        + name + "BatchMean, b." + name + "BatchVar);");
                    break;
                case StepKind.Embedding:
                    _w.Line(Ops + ".Embedding(" + m + ", " + input + ", " + output + ");");
                    break;
                case StepKind.Dropout:
                    // Run again in the backward, it multiplies by the mask the forward drew.
                    _w.Line(recompute
                        ? Ops + ".DropoutWithMask(b." + name + "Masked, " + input + ", b." + name + "Mask, " + output + ");"
                        : "b." + name + "Masked = " + Ops + ".Dropout(" + m + ", " + input + ", " + output + ", b." + name + "Mask);");
                    break;
                case StepKind.Softmax:
                case StepKind.LogSoftmax:
                    _w.Line(Ops + "." + step.Kind + "(" + input + ", plan." + name + "Dim, " + output + ");");
                    break;
                case StepKind.Relu:
                case StepKind.Sigmoid:
                case StepKind.Tanh:
                case StepKind.Gelu:
                    _w.Line(Ops + "." + step.Kind + "(" + input + ", " + output + ");");
                    break;
                case StepKind.Add:
                case StepKind.Mul:
                case StepKind.Sub:
                case StepKind.Div:
                    _w.Line(Ops + "." + step.Kind + "(" + input + ", " + Expr(step.Inputs[1], recompute) + ", " + output + ");");
                    break;
                case StepKind.Neg:
                    _w.Line(Ops + ".Neg(" + input + ", " + output + ");");
                    break;
                case StepKind.AddScalar:
                case StepKind.SubScalar:
                case StepKind.MulScalar:
                case StepKind.DivScalar:
                    _w.Line(Ops + "." + step.Kind + "(" + input + ", " + step.Nodes[0].Arguments[0] + ", " + output + ");");
                    break;
                case StepKind.RsubScalar:
                case StepKind.RdivScalar:
                    _w.Line(Ops + "." + step.Kind + "(" + step.Nodes[0].Arguments[0] + ", " + input + ", " + output + ");");
                    break;
                case StepKind.Flatten:
                case StepKind.Reshape:
                case StepKind.Permute:
                    if (step.Output.Home == Home.InputView)
                        _w.Line("var " + output + " = " + MakeView(step, input) + ";");
                    else
                        _w.Line("// " + name + " is a view of " + step.Inputs[0].Name + "'s buffer (made with the buffer set)");
                    break;
                case StepKind.Contiguous:
                    _w.Line(Ops + ".Copy(" + input + ", " + output + ");");
                    break;
                case StepKind.SelfAttention:
                case StepKind.TransformerEncoderLayer:
                case StepKind.CrossAttention:
                    AttentionForwardStep(step, input, output);
                    break;
                case StepKind.Recurrent:
                    RecurrentForwardStep(step, input, output, recompute);
                    break;
                case StepKind.TransformerDecoderLayer:
                    DecoderForwardStep(step, input, output, recompute);
                    break;
                case StepKind.RecurrentHidden:
                case StepKind.RecurrentCell:
                    RecurrentStateForwardStep(step, output);
                    break;
                case StepKind.Slice:
                    _w.Line(Ops + ".Slice(" + input + ", plan." + name + "View, " + output + ");");
                    break;
                case StepKind.Matmul:
                case StepKind.FunctionalLinear:
                    ProductForwardStep(step, recompute);
                    break;
                case StepKind.Layer:
                    LayerForwardStep(step, input, output);
                    break;
                case StepKind.Function:
                    FunctionForwardStep(step, input, output);
                    break;
                case StepKind.AttentionWeights:
                    AttentionWeightsForwardStep(step, output);
                    break;
                case StepKind.Activation:
                    ActivationForwardStep(step, input, output);
                    break;
                case StepKind.Dropout2d:
                    Dropout2dForwardStep(step, input, output, recompute);
                    break;
            }
        }

        /// <summary>A view of an argument, made per call: contiguous in the view's shape, or laid over it by a transpose's strides.</summary>
        static string MakeView(PlannedStep step, string source) => step.Kind == StepKind.Permute
            ? Ops + ".Strided(" + source + ", plan." + step.Output.Name + "View)"
            : Ops + ".View(" + source + ", plan." + step.Output.Name + "Shape)";

        static string Activation(PlannedStep step) =>
            "global::ShapeSafe.CompiledGraphs.FusedActivation." + (step.Kind is StepKind.LinearRelu or StepKind.Conv2dRelu ? "Relu" : "None");

        void EmitBackward()
        {
            var plan = _plan!;
            _w.Line("/// <summary>The gradients of the arguments and parameters (in the node's input order) for the output's gradient.</summary>");
            using (_w.Block(TensorType + "?[] Backward(Plan plan, Buffers b, " + TensorType + " gradOutput)"))
            {
                for (int i = 0; i < _forward.Parameters.Count; i++)
                    _w.Line("var " + InputData(i) + " = b.Inputs[" + i + "];");
                EmitStateLoads();
                // Set by the forward whose node runs this backward (a graph ending in a ReLU, a tanh, ... reads it).
                _w.Line("var output = b.Output!;");
                _w.Line((WideNeeds ? "var" : "ulong") + " needs = b.Needs;");
                _w.Line("var g = " + Ops + ".Contiguous(gradOutput);");
                foreach (var view in plan.Values.Where(v => v.Home == Home.InputView))
                    _w.Line("var " + Expr(view, true) + " = " + MakeView(plan.Steps[view.Producer], Expr(plan.Steps[view.Producer].Inputs[0], true)) + ";");
                var grads = Enumerable.Range(0, Differentiable).Select(GradientLocal).ToList();
                _w.Line(TensorType + "? " + string.Join(" = null, ", grads) + " = null;");
                var seenParameters = new HashSet<string>();
                foreach (var step in plan.Steps.AsEnumerable().Reverse())
                {
                    EmitRecomputation(step);
                    _w.Line();
                    Comment(step);
                    ShapeComment(step, backward: true);
                    BackwardStep(step, seenParameters);
                }
                _w.Line();
                _w.Line("return new " + TensorType + "?[] { " + string.Join(", ", grads) + " };");
            }
        }

        string GradientLocal(int index) => index < _forward.Parameters.Count
            ? "grad" + char.ToUpperInvariant(_forward.Parameters[index][0]) + _forward.Parameters[index].Substring(1)
            : IsOwnParameterIndex(index) ? "grad" + OwnParameterAt(index).Name
            : "grad" + GraphPlanner.Pascal(_parameters[index - _forward.Parameters.Count].Module)
                + new string(_parameters[index - _forward.Parameters.Count].Member.Where(char.IsLetterOrDigit).ToArray());

        /// <summary>The gradient arriving at a step's output.</summary>
        string GradOf(PlannedValue value) => value.Home == Home.Output || ReferenceEquals(value, _plan!.Output) ? "g" : "b." + GraphPlanner.GradName(value);

        /// <summary>Whether a value's gradient is ever needed: always past a step with parameters, else when an argument it comes from needs one.</summary>
        string GradientNeeded(PlannedValue value)
        {
            var plan = _plan!;
            if (value.Home == Home.Input) return LeafNeed(value);
            var inputs = new SortedSet<int>();
            var pending = new Stack<PlannedValue>();
            pending.Push(value);
            while (pending.Count > 0)
            {
                var v = pending.Pop();
                if (v.Home == Home.Input)
                {
                    if (DifferentiableIndex(v) is int index) inputs.Add(index);
                    continue;
                }
                var producer = plan.Steps[v.Producer];
                if (producer.HasParameters) return "true";
                foreach (var i in producer.Inputs) pending.Push(i);
            }
            return inputs.Count == 0 ? "false" : string.Join(" || ", inputs.Select(i => "(" + Need(i) + ")"));
        }

        /// <summary>
        /// Writes what a step's gradient for its input <paramref name="i"/> goes into: the input's gradient, or a
        /// partial one when another path got there first; returns the target and what to do after the kernel.
        /// </summary>
        (string Target, string After) GradientTarget(PlannedStep step, int i)
        {
            var value = step.Inputs[i];
            var plan = _plan!;
            bool accumulates = plan.Accumulates(step, i);
            if (value.Home == Home.Input)
            {
                var local = LeafGradient(value);
                var shape = "plan." + value.Name + "Shape";
                if (!accumulates)
                {
                    _w.Line(local + " = " + LeafNeed(value) + " ? " + Ops + ".NewGradient(" + shape + ") : null;");
                    return (local, "");
                }
                var partial = local + "Partial" + step.Index;
                _w.Line("var " + partial + " = " + LeafNeed(value) + " ? " + Ops + ".NewGradient(" + shape + ") : null;");
                return (partial, "if (" + partial + " is not null) " + Ops + ".AddInPlace(" + local + "!, " + partial + ");");
            }
            var gradient = "b." + GraphPlanner.GradName(value);
            if (!accumulates) return (gradient, "");
            var scratch = "b." + GraphPlanner.PartialName(step, i);
            return (scratch, Ops + ".AddInPlace(" + gradient + ", " + scratch + ");");
        }

        void BackwardStep(PlannedStep step, HashSet<string> seenParameters)
        {
            var gOut = GradOf(step.Output);
            var input = Expr(step.Inputs[0], true);
            var output = Expr(step.Output, true);
            var name = step.Output.Name;
            var m = Module(step.Module);
            switch (step.Kind)
            {
                case StepKind.Linear:
                case StepKind.LinearRelu:
                case StepKind.Conv2d:
                case StepKind.Conv2dRelu:
                case StepKind.Conv2dReluMaxPool:
                {
                    if (step.Kind == StepKind.LinearRelu)
                    {
                        // The mask runs in place on the graph's own gradient buffer; the caller's gradient is never written.
                        var masked = gOut == "g" ? "b." + name + "Masked" : gOut;
                        _w.Line(Ops + ".ReluBackward(" + gOut + ", " + output + ", " + masked + ");");
                        gOut = masked;
                    }
                    var (target, after) = InputGradient(step, 0);
                    var (weight, weightAfter) = ParameterGradient(step.Module, "Weight", seenParameters);
                    var (bias, biasAfter) = ParameterGradient(step.Module, "Bias", seenParameters);
                    switch (step.Kind)
                    {
                        case StepKind.Linear:
                        case StepKind.LinearRelu:
                            _w.Line(Ops + ".LinearBackward(" + gOut + ", " + input + ", " + m + ".Weight, " + target + ", " + weight + ", " + bias + ");");
                            break;
                        case StepKind.Conv2dReluMaxPool:
                            _w.Line(Ops + ".Conv2dReluMaxPoolBackward(plan." + name + "Conv, plan." + name + "Pool, " + gOut + ", " + input + ", " + m + ".Weight, "
                                + output + ", b." + name + "Indices, " + target + ", " + weight + ", " + bias + ", b." + name + "Convolved, b." + name + "ConvolvedGrad);");
                            break;
                        default:
                            _w.Line(Ops + ".Conv2dBackward(plan." + name + "Conv, " + gOut + ", " + input + ", " + m + ".Weight, " + target + ", " + weight + ", " + bias + ", "
                                + (step.Kind == StepKind.Conv2dRelu ? output : "null") + ");");
                            break;
                    }
                    foreach (var line in new[] { after, weightAfter, biasAfter }.Where(l => l.Length > 0)) _w.Line(line);
                    break;
                }
                case StepKind.MaxPool2d:
                    Elementwise(step, 0, (target) => Ops + ".MaxPool2dBackward(plan." + name + "Pool, " + gOut + ", b." + name + "Indices, " + target + ");");
                    break;
                case StepKind.Dropout:
                    Elementwise(step, 0, (target) => Ops + ".DropoutBackward(b." + name + "Masked, " + gOut + ", b." + name + "Mask, " + target + ");");
                    break;
                case StepKind.Softmax:
                case StepKind.LogSoftmax:
                    Elementwise(step, 0, (target) => Ops + "." + step.Kind + "Backward(" + gOut + ", " + output + ", plan." + name + "Dim, " + target + ");");
                    break;
                case StepKind.LayerNorm:
                {
                    var (target, after) = InputGradient(step, 0);
                    var (weight, weightAfter) = ParameterGradient(step.Module, "Weight", seenParameters);
                    var (bias, biasAfter) = ParameterGradient(step.Module, "Bias", seenParameters);
                    _w.Line(Ops + ".LayerNormBackward(" + m + ", " + gOut + ", " + input + ", b." + name + "Mean, b." + name + "InvStd, "
                        + target + ", " + weight + ", " + bias + ");");
                    foreach (var line in new[] { after, weightAfter, biasAfter }.Where(l => l.Length > 0)) _w.Line(line);
                    break;
                }
                case StepKind.Embedding:
                {
                    // Indices take no gradient; the weight's is dense, as eager autograd's.
                    var (weight, weightAfter) = ParameterGradient(step.Module, "Weight", seenParameters);
                    _w.Line(Ops + ".EmbeddingBackward(" + m + ", " + gOut + ", " + input + ", " + weight + ");");
                    if (weightAfter.Length > 0) _w.Line(weightAfter);
                    break;
                }
                case StepKind.BatchNorm:
                {
                    var (target, after) = InputGradient(step, 0);
                    var (weight, weightAfter) = ParameterGradient(step.Module, "Weight", seenParameters);
                    var (bias, biasAfter) = ParameterGradient(step.Module, "Bias", seenParameters);
                    _w.Line(Ops + ".BatchNormBackward(" + m + ", b." + name + "BatchStatistics, " + gOut + ", " + input + ", b." + name + "Mean, b." + name + "InvStd, "
                        + target + ", " + weight + ", " + bias + ");");
                    foreach (var line in new[] { after, weightAfter, biasAfter }.Where(l => l.Length > 0)) _w.Line(line);
                    break;
                }
                case StepKind.Relu:
                case StepKind.Sigmoid:
                case StepKind.Tanh:
                    Elementwise(step, 0, (target) => Ops + "." + step.Kind + "Backward(" + gOut + ", " + output + ", " + target + ");");
                    break;
                case StepKind.Gelu:
                    Elementwise(step, 0, (target) => Ops + ".GeluBackward(" + gOut + ", " + input + ", " + target + ");");
                    break;
                case StepKind.Mul:
                    // d(a·b)/da = g·b and d(a·b)/db = g·a, each summed to its operand's shape.
                    Elementwise(step, 0, (target) => Ops + ".MulBackward(" + gOut + ", " + Expr(step.Inputs[1], true) + ", " + Scratch(step) + ", " + target + ");");
                    Elementwise(step, 1, (target) => Ops + ".MulBackward(" + gOut + ", " + input + ", " + Scratch(step) + ", " + target + ");");
                    break;
                case StepKind.Div:
                    // d(a/b)/da = g/b and d(a/b)/db = -g·a/b².
                    Elementwise(step, 0, (target) => Ops + ".DivBackward(" + gOut + ", " + Expr(step.Inputs[1], true) + ", " + Scratch(step) + ", " + target + ");");
                    Elementwise(step, 1, (target) => Ops + ".DivisorBackward(" + gOut + ", " + input + ", " + Expr(step.Inputs[1], true) + ", " + Scratch(step) + ", " + target + ");");
                    break;
                case StepKind.Add:
                    for (int i = 0; i < step.Inputs.Count; i++) Elementwise(step, i, (target) => Ops + ".SumToShape(" + gOut + ", " + target + ");");
                    break;
                case StepKind.Sub:
                    Elementwise(step, 0, (target) => Ops + ".SumToShape(" + gOut + ", " + target + ");");
                    Elementwise(step, 1, (target) => Ops + ".SubBackward(" + gOut + ", " + target + ");");
                    break;
                case StepKind.Neg:
                case StepKind.RsubScalar:
                    Elementwise(step, 0, (target) => Ops + ".NegBackward(" + gOut + ", " + target + ");");
                    break;
                case StepKind.MulScalar:
                case StepKind.DivScalar:
                    Elementwise(step, 0, (target) => Ops + "." + step.Kind + "Backward(" + gOut + ", " + step.Nodes[0].Arguments[0] + ", " + target + ");");
                    break;
                case StepKind.RdivScalar:
                    Elementwise(step, 0, (target) => Ops + ".RdivScalarBackward(" + gOut + ", " + input + ", " + output + ", " + target + ");");
                    break;
                case StepKind.AddScalar:
                case StepKind.SubScalar:
                case StepKind.Flatten:
                case StepKind.Reshape:
                case StepKind.Contiguous:
                    // A contiguous view's gradient is the output's gradient in the input's shape: the same elements in the same order.
                    for (int i = 0; i < step.Inputs.Count; i++) PassThrough(step, i, gOut);
                    break;
                case StepKind.Permute:
                    Elementwise(step, 0, (target) => Ops + ".PermuteBackward(" + gOut + ", plan." + name + "View, " + target + ");");
                    break;
                case StepKind.SelfAttention:
                case StepKind.TransformerEncoderLayer:
                case StepKind.CrossAttention:
                    AttentionBackwardStep(step, gOut, input, seenParameters);
                    break;
                case StepKind.Recurrent:
                    RecurrentBackwardStep(step, gOut, seenParameters);
                    break;
                case StepKind.TransformerDecoderLayer:
                    DecoderBackwardStep(step, gOut, seenParameters);
                    break;
                case StepKind.RecurrentHidden:
                case StepKind.RecurrentCell:
                    RecurrentStateBackwardStep(step, gOut);
                    break;
                case StepKind.Slice:
                    Elementwise(step, 0, (target) => Ops + ".SliceBackward(" + gOut + ", plan." + name + "View, " + target + ");");
                    break;
                case StepKind.Matmul:
                case StepKind.FunctionalLinear:
                    ProductBackwardStep(step, gOut);
                    break;
                case StepKind.Layer:
                    LayerBackwardStep(step, gOut, seenParameters);
                    break;
                case StepKind.Function:
                    FunctionBackwardStep(step, gOut);
                    break;
                case StepKind.AttentionWeights:
                    AttentionWeightsBackwardStep(step, gOut);
                    break;
                case StepKind.Activation:
                    Elementwise(step, 0, (target) => ActivationBackwardCall(step, gOut, input, target));
                    break;
                case StepKind.Dropout2d:
                    Elementwise(step, 0, (target) => Ops + ".Dropout2dBackward(b." + name + "Masked, " + gOut + ", b." + name + "Mask, " + target + ");");
                    break;
            }
        }

        static string Scratch(PlannedStep step) => "b." + GraphPlanner.ScratchName(step);

        /// <summary>The input gradient target of a kernel that writes several gradients (null when it is not needed).</summary>
        (string Target, string After) InputGradient(PlannedStep step, int i)
        {
            var needed = GradientNeeded(step.Inputs[i]);
            if (needed == "false") return ("null", "");
            var (target, after) = GradientTarget(step, i);
            if (needed == "true" || step.Inputs[i].Home == Home.Input) return (target, after);
            return ("(" + needed + " ? " + target + " : null)", after.Length == 0 ? "" : "if (" + needed + ") " + after);
        }

        void Elementwise(PlannedStep step, int i, System.Func<string, string> kernel)
        {
            var needed = GradientNeeded(step.Inputs[i]);
            if (needed == "false") return;
            using (needed == "true" ? default(SourceWriter.Scope?) : _w.Block("if (" + needed + ")"))
            {
                var (target, after) = GradientTarget(step, i);
                // An argument's gradient is a nullable local, made inside this block because the argument needs it.
                _w.Line(kernel(step.Inputs[i].Home == Home.Input ? target + "!" : target));
                if (after.Length > 0) _w.Line(after);
            }
        }

        /// <summary>A contiguous view's or a scalar sum's backward: the gradient itself, copied into (or added to) the input's.</summary>
        void PassThrough(PlannedStep step, int i, string gOut)
        {
            var needed = GradientNeeded(step.Inputs[i]);
            if (needed == "false") return;
            var value = step.Inputs[i];
            using (needed == "true" ? default(SourceWriter.Scope?) : _w.Block("if (" + needed + ")"))
            {
                if (_plan!.Accumulates(step, i))
                {
                    var target = value.Home == Home.Input ? LeafGradient(value) + "!" : "b." + GraphPlanner.GradName(value);
                    _w.Line(Ops + ".AddInPlace(" + target + ", " + gOut + ");");
                }
                else
                {
                    var (target, _) = GradientTarget(step, i);
                    _w.Line(Ops + ".Copy(" + gOut + ", " + target + (value.Home == Home.Input ? "!" : "") + ");");
                }
            }
        }

        /// <summary>A parameter's gradient target: a new gradient for its first use, a partial one added to it after that.</summary>
        (string Target, string After) ParameterGradient(string module, string member, HashSet<string> seen)
        {
            int index = _forward.Parameters.Count + _parameters.IndexOf((module, member));
            var local = GradientLocal(index);
            var tensor = Module(module) + "." + member + (MayBeNull((module, member)) ? "!" : "");
            if (seen.Add(local))
            {
                _w.Line(local + " = " + Need(index) + " ? " + Ops + ".NewGradient(" + tensor + ") : null;");
                return (local, "");
            }
            var partial = local + "Partial";
            _w.Line("var " + partial + " = " + Need(index) + " ? " + Ops + ".NewGradient(" + tensor + ") : null;");
            return (partial, "if (" + partial + " is not null) " + Ops + ".AddInPlace(" + local + "!, " + partial + ");");
        }

        void EmitPlan()
        {
            var plan = _plan!;
            _w.Line("/// <summary>The shapes and kernel geometries for one input shape.</summary>");
            using (_w.Block("sealed class Plan : global::ShapeSafe.CompiledGraphs.GraphPlan<Buffers>"))
            {
                _w.Line("readonly " + _className + " _graph;");
                EmitRecomputesField();
                foreach (var value in plan.Values)
                    _w.Line("public readonly int[] " + value.Name + "Shape;");
                foreach (var step in plan.Steps.Where(s => s.IsConvolution))
                    _w.Line("public readonly global::ShapeSafe.CompiledGraphs.Conv2dPlan " + step.Output.Name + "Conv;");
                foreach (var step in plan.Steps.Where(s => s.HasIndices))
                    _w.Line("public readonly global::ShapeSafe.CompiledGraphs.MaxPool2dPlan " + step.Output.Name + "Pool;");
                foreach (var step in plan.Steps.Where(s => s.HasStatistics))
                    _w.Line("public readonly int " + step.Output.Name + "Rows;");
                foreach (var step in plan.Steps.Where(s => s.HasMask))
                    _w.Line("public readonly int " + step.Output.Name + "Count;");
                foreach (var step in plan.Steps.Where(s => s.HasDim))
                    _w.Line("public readonly int " + step.Output.Name + "Dim;");
                foreach (var step in plan.Steps.Where(s => s.Kind is StepKind.Permute or StepKind.Slice))
                    _w.Line("public readonly global::ShapeSafe.CompiledGraphs.StridedViewPlan " + step.Output.Name + "View;");
                foreach (var step in plan.Steps.Where(s => s.Kind == StepKind.Recurrent))
                    _w.Line("public readonly " + RecurrentPlanType + " " + step.Output.Name + "Plan;");
                foreach (var step in plan.Steps.Where(s => s.IsAttention))
                    _w.Line("public readonly " + AttentionPlanType(step) + " " + step.Output.Name + "Plan;");
                foreach (var step in plan.Steps.Where(s => s.Kind is StepKind.Layer or StepKind.Function))
                    _w.Line("public readonly " + LayerPlanType + " " + step.Output.Name + "Plan;");
                foreach (var step in plan.Steps.Where(s => s.IsDecoderLayer)) DecoderPlanField(step);
                _w.Line();
                using (_w.Block("public Plan(" + _className + " graph, int[][] inputSizes) : base(inputSizes)"))
                {
                    _w.Line("_graph = graph;");
                    EmitRecomputesAssignment();
                    for (int i = 0; i < _forward.Parameters.Count; i++)
                        _w.Line(plan.Values[i].Name + "Shape = inputSizes[" + i + "];");
                    EmitStateShapes();
                    foreach (var step in plan.Steps) PlanStep(step);
                }
                _w.Line();
                _w.Line("/// <summary>The shape of the output.</summary>");
                _w.Line("public int[] OutputShape => " + plan.Output.Name + "Shape;");
                _w.Line();
                _w.Line("/// <inheritdoc/>");
                _w.Line("protected override Buffers CreateBuffers() => new Buffers(_graph, this);");
                _w.Line();
                EmitLifetimes();
            }
        }

        void PlanStep(PlannedStep step)
        {
            var name = step.Output.Name;
            var input = step.Inputs[0].Name + "Shape";
            var m = "graph." + Module(step.Module);
            switch (step.Kind)
            {
                case StepKind.Linear:
                case StepKind.LinearRelu:
                    _w.Line(name + "Shape = " + Ops + ".LinearShape(" + input + ", " + m + ".Weight, " + m + ".Bias);");
                    break;
                case StepKind.Conv2d:
                case StepKind.Conv2dRelu:
                case StepKind.Conv2dReluMaxPool:
                    _w.Line(name + "Conv = " + Ops + ".PlanConv2d(" + input + ", " + m + ");");
                    if (step.Kind == StepKind.Conv2dReluMaxPool)
                    {
                        var p = "graph." + Module(step.PoolModule);
                        _w.Line(name + "Pool = " + Ops + ".PlanMaxPool2d(" + name + "Conv.OutputSizes, " + p + ");");
                        _w.Line(name + "Shape = " + name + "Pool.OutputSizes;");
                    }
                    else
                    {
                        _w.Line(name + "Shape = " + name + "Conv.OutputSizes;");
                    }
                    break;
                case StepKind.MaxPool2d:
                    _w.Line(name + "Pool = " + Ops + ".PlanMaxPool2d(" + input + ", " + m + ");");
                    _w.Line(name + "Shape = " + name + "Pool.OutputSizes;");
                    break;
                case StepKind.Dropout:
                    _w.Line(name + "Shape = " + input + ";");
                    _w.Line(name + "Count = " + Ops + ".Count(" + input + ");");
                    break;
                case StepKind.Softmax:
                case StepKind.LogSoftmax:
                {
                    var dim = step.Module.Length > 0 ? m + ".Dim" : step.Nodes[0].Arguments[0];
                    _w.Line(name + "Dim = " + Ops + ".SoftmaxDim(" + input + ", " + dim + ", \"" + step.Kind + "\");");
                    _w.Line(name + "Shape = " + input + ";");
                    break;
                }
                case StepKind.BatchNorm:
                    _w.Line(name + "Shape = " + Ops + ".BatchNormShape(" + input + ", " + m + ");");
                    break;
                case StepKind.Embedding:
                    _w.Line(name + "Shape = " + Ops + ".EmbeddingShape(" + input + ", " + m + ");");
                    break;
                case StepKind.LayerNorm:
                    _w.Line(name + "Shape = " + Ops + ".LayerNormShape(" + input + ", " + m + ");");
                    _w.Line(name + "Rows = " + Ops + ".LayerNormRows(" + input + ", " + m + ");");
                    break;
                case StepKind.Relu:
                case StepKind.Sigmoid:
                case StepKind.Tanh:
                case StepKind.Gelu:
                case StepKind.Neg:
                case StepKind.AddScalar:
                case StepKind.SubScalar:
                case StepKind.RsubScalar:
                case StepKind.MulScalar:
                case StepKind.DivScalar:
                case StepKind.RdivScalar:
                    _w.Line(name + "Shape = " + input + ";");
                    break;
                case StepKind.Add:
                case StepKind.Mul:
                case StepKind.Sub:
                case StepKind.Div:
                    _w.Line(name + "Shape = " + Ops + "." + step.Kind + "Shape(" + input + ", " + step.Inputs[1].Name + "Shape);");
                    break;
                case StepKind.Flatten:
                    var node = step.Nodes[0];
                    var dims = step.Module.Length > 0 ? m + ".StartDim, " + m + ".EndDim" : string.Join(", ", node.Arguments);
                    _w.Line(name + "Shape = " + Ops + ".FlattenShape(" + input + ", " + dims + ");");
                    break;
                case StepKind.Reshape:
                {
                    var arguments = step.Nodes[0].Arguments;
                    var shape = step.Nodes[0].Op switch
                    {
                        GraphOp.View => Ops + ".ViewShape(" + input + ", new[] { " + string.Join(", ", arguments.Skip(1).Select(SizeExpression)) + " }, \"" + arguments[0] + "\")",
                        GraphOp.Squeeze => Ops + ".SqueezeShape(" + string.Join(", ", new[] { input }.Concat(arguments)) + ")",
                        GraphOp.Unsqueeze => Ops + ".UnsqueezeShape(" + input + ", " + arguments[0] + ")",
                        _ => input,
                    };
                    _w.Line(name + "Shape = " + shape + ";");
                    break;
                }
                case StepKind.Permute:
                {
                    var arguments = step.Nodes[0].Arguments;
                    _w.Line(name + "View = " + ViewPlan(step, input) + ";");
                    _w.Line(name + "Shape = " + name + "View.Sizes;");
                    break;
                }
                case StepKind.Contiguous:
                    _w.Line(name + "Shape = " + input + ";");
                    break;
                case StepKind.SelfAttention:
                case StepKind.TransformerEncoderLayer:
                case StepKind.CrossAttention:
                    AttentionPlanStep(step, input, m);
                    break;
                case StepKind.Recurrent:
                    RecurrentPlanStep(step, input, m);
                    break;
                case StepKind.TransformerDecoderLayer:
                    DecoderPlanStep(step, input, m);
                    break;
                case StepKind.RecurrentHidden:
                case StepKind.RecurrentCell:
                    RecurrentStatePlanStep(step);
                    break;
                case StepKind.Layer:
                    LayerPlanStep(step, input, m);
                    break;
                case StepKind.Function:
                    FunctionPlanStep(step, input);
                    break;
                case StepKind.Slice:
                    SlicePlanStep(step, input);
                    break;
                case StepKind.Matmul:
                case StepKind.FunctionalLinear:
                    ProductPlanStep(step);
                    break;
                case StepKind.AttentionWeights:
                    AttentionWeightsPlanStep(step);
                    break;
                case StepKind.Activation:
                    _w.Line(name + "Shape = " + input + ";");
                    break;
                case StepKind.Dropout2d:
                    _w.Line(name + "Shape = " + input + ";");
                    _w.Line(name + "Count = " + Ops + ".Dropout2dMaskCount(" + input + ");");
                    break;
            }
        }

        /// <summary>A view's size in the plan: a constant, or <c>@node:dim</c>, that input's size.</summary>
        string SizeExpression(string size)
        {
            if (!size.StartsWith("@", System.StringComparison.Ordinal)) return size;
            var colon = size.IndexOf(':');
            var node = int.Parse(size.Substring(1, colon - 1), CultureInfo.InvariantCulture);
            return Ops + ".SizeOf(" + _plan!.ValueOfNode[node]!.Name + "Shape, " + size.Substring(colon + 1) + ")";
        }

        void EmitBuffers()
        {
            var plan = _plan!;
            _w.Line("/// <summary>");
            _w.Line("/// The buffers of one call in flight: " + LayoutSummary() + ", shared where lifetimes do not overlap");
            _w.Line("/// (forward steps 0-" + (plan.Steps.Count - 1) + ", backward steps " + plan.Steps.Count + "-" + (2 * plan.Steps.Count - 1) + ").");
            _w.Line("/// </summary>");
            using (_w.Block("sealed class Buffers : global::ShapeSafe.CompiledGraphs.GraphBuffers"))
            {
                foreach (var buffer in plan.Buffers)
                {
                    _w.Line("/// <summary>" + SlotAndSteps(buffer) + ": " + Xml(buffer.Purpose) + (buffer.ViewOf is null ? "" : " (a view of " + buffer.ViewOf.Name + ")") + ".</summary>");
                    _w.Line("public readonly " + TensorType + " " + buffer.Name + ";");
                }
                EmitRecomputedFields();
                foreach (var step in plan.Steps.Where(s => s.HasIndices))
                {
                    _w.Line("public readonly int[] " + step.Output.Name + "Indices;");
                }
                foreach (var step in plan.Steps.Where(s => s.HasMask))
                {
                    _w.Line("/// <summary>" + Xml(step.Output.Name) + "'s mask (0 or 1/(1 - p)) and whether the last forward applied it (training mode).</summary>");
                    _w.Line("public readonly float[] " + step.Output.Name + "Mask;");
                    _w.Line("public bool " + step.Output.Name + "Masked;");
                }
                foreach (var step in plan.Steps.Where(s => s.HasStatistics))
                {
                    _w.Line("/// <summary>" + Xml(step.Output.Name) + "'s mean and 1/std of every row, for its backward.</summary>");
                    _w.Line("public readonly float[] " + step.Output.Name + "Mean, " + step.Output.Name + "InvStd;");
                }
                foreach (var step in plan.Steps.Where(s => s.HasChannelStatistics))
                {
                    var n = step.Output.Name;
                    _w.Line("/// <summary>" + Xml(n) + "'s mean and 1/std of every channel, for its backward, and the batch's statistics in double as it sums them.</summary>");
                    _w.Line("public readonly float[] " + n + "Mean, " + n + "InvStd;");
                    _w.Line("public readonly double[] " + n + "BatchMean, " + n + "BatchVar;");
                    _w.Line("/// <summary>Whether the last forward normalized " + Xml(n) + " with the batch's statistics (training mode, or no running ones).</summary>");
                    _w.Line("public bool " + n + "BatchStatistics;");
                }
                foreach (var step in plan.Steps.Where(s => s.IsAttention))
                {
                    _w.Line("/// <summary>" + Xml(step.Output.Name) + "'s intermediates for its backward and its gradient scratch.</summary>");
                    _w.Line("public readonly " + AttentionStateType(step) + " " + step.Output.Name + "State;");
                }
                foreach (var step in plan.Steps.Where(s => s.Kind == StepKind.Recurrent))
                {
                    _w.Line("/// <summary>" + Xml(step.Output.Name) + "'s tape and final states, for the steps that read them and its backward.</summary>");
                    _w.Line("public readonly " + RecurrentStateType + " " + step.Output.Name + "State = new " + RecurrentStateType + "();");
                }
                foreach (var step in plan.Steps.Where(s => s.Kind is StepKind.Layer or StepKind.Function))
                {
                    _w.Line("/// <summary>" + Xml(step.Output.Name) + "'s tape, for its backward.</summary>");
                    _w.Line("public readonly " + LayerStateType + " " + step.Output.Name + "State = new " + LayerStateType + "();");
                }
                foreach (var step in plan.Steps.Where(s => s.IsDecoderLayer)) DecoderStateField(step);
                foreach (var step in plan.Steps.Where(s => s.Kind == StepKind.Conv2dReluMaxPool))
                {
                    _w.Line("/// <summary>The convolution's own output and its gradient, for images convolved band by band (else null).</summary>");
                    _w.Line("public readonly " + TensorType + "? " + step.Output.Name + "Convolved, " + step.Output.Name + "ConvolvedGrad;");
                }
                _w.Line();
                _w.Line("/// <summary>The call in flight: its contiguous arguments, its output, and which tensors need a gradient.</summary>");
                _w.Line("public readonly " + TensorType + "[] Inputs = new " + TensorType + "[" + (_forward.Parameters.Count + StateLeaves.Count) + "];");
                _w.Line("public " + TensorType + "? Output;");
                _w.Line(WideNeeds ? "public bool[] Needs = global::System.Array.Empty<bool>();" : "public ulong Needs;");
                _w.Line("public readonly global::System.Func<" + TensorType + ", " + TensorType + "?[]> Backward;");
                _w.Line("public readonly global::System.Action Released;");
                _w.Line();
                using (_w.Block("public Buffers(" + _className + " graph, Plan plan)"))
                {
                    EmitLayouts();
                    foreach (var step in plan.Steps.Where(s => s.HasIndices))
                        _w.Line(step.Output.Name + "Indices = Indices(plan." + step.Output.Name + "Pool.IndexCount);");
                    foreach (var step in plan.Steps.Where(s => s.HasMask))
                        _w.Line(step.Output.Name + "Mask = new float[plan." + step.Output.Name + "Count];");
                    foreach (var step in plan.Steps.Where(s => s.HasStatistics))
                    {
                        _w.Line(step.Output.Name + "Mean = new float[plan." + step.Output.Name + "Rows];");
                        _w.Line(step.Output.Name + "InvStd = new float[plan." + step.Output.Name + "Rows];");
                    }
                    foreach (var step in plan.Steps.Where(s => s.HasChannelStatistics))
                    {
                        var n = step.Output.Name;
                        foreach (var array in new[] { "Mean", "InvStd" })
                            _w.Line(n + array + " = new float[plan." + n + "Shape[1]];");
                        foreach (var array in new[] { "BatchMean", "BatchVar" })
                            _w.Line(n + array + " = new double[plan." + n + "Shape[1]];");
                    }
                    foreach (var step in plan.Steps.Where(s => s.IsAttention))
                        _w.Line(step.Output.Name + "State = new " + AttentionStateType(step) + "(plan." + step.Output.Name + "Plan);");
                    foreach (var step in plan.Steps.Where(s => s.Kind == StepKind.Conv2dReluMaxPool))
                    {
                        var n = step.Output.Name;
                        using (_w.Block("if (!plan." + n + "Conv.PoolsAsItConvolves)"))
                        {
                            _w.Line(n + "Convolved = View(Slot(plan." + n + "Conv.OutputSizes), plan." + n + "Conv.OutputSizes);");
                            _w.Line(n + "ConvolvedGrad = View(Slot(plan." + n + "Conv.OutputSizes), plan." + n + "Conv.OutputSizes);");
                        }
                    }
                    _w.Line("Backward = gradOutput => graph.Backward(plan, this, gradOutput);");
                    _w.Line("Released = () => plan.Return(this);");
                }
            }
        }

        static string Xml(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");
    }
}
