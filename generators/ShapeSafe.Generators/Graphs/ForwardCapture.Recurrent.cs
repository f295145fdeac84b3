using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The recurrent layers: a Forward call of an LSTM, GRU or RNN child is one composite step, whose tuple is read in
    // the forms users write (a deconstruction, .Output, .Hidden, .State.H, .State.C). The output is the step's value;
    // each final state read is a step of its own that reads the layer's state. Then Select and Narrow with constant
    // arguments (and t[i]), which take the last time step of an output or the last layer of a state.
    internal sealed partial class ForwardCapture
    {
        const string LstmType = "ShapeSafe.NN.LSTM";
        const string GruType = "ShapeSafe.NN.GRU";
        const string RnnType = "ShapeSafe.NN.RNN";

        /// <summary>Whether <paramref name="type"/> is one of the recurrent layers this file compiles.</summary>
        static bool IsRecurrentLayer(INamedTypeSymbol type) => type.ToDisplayString() is LstmType or GruType or RnnType;

        /// <summary>The values of one recurrent call: its output, and its final states (each made when first read).</summary>
        sealed class RecurrentValues
        {
            public RecurrentValues(int output, bool lstm, IOperation call)
            {
                Output = output;
                Lstm = lstm;
                Call = call;
            }

            public int Output { get; }
            public bool Lstm { get; }
            public IOperation Call { get; }
            public int? Hidden { get; set; }
            public int? Cell { get; set; }
        }

        /// <summary>The recurrent child a call's <c>Forward</c> goes to, or null when it is not a recurrent layer's.</summary>
        (string Path, INamedTypeSymbol Type)? RecurrentChild(IOperation operation, Scope scope)
        {
            while (operation is IConversionOperation { Conversion.IsImplicit: true } conversion) operation = conversion.Operand;
            if (operation is not IInvocationOperation { TargetMethod.Name: "Forward", Instance: { } layer }) return null;
            return ChildPath(layer, scope) is { } child && IsRecurrentLayer(child.Type) ? child : null;
        }

        /// <summary>
        /// Captures <paramref name="call"/>, a recurrent child's <c>Forward</c>: one step for the layer, reading the
        /// input and the initial states when they are passed.
        /// </summary>
        RecurrentValues RecurrentForward(IInvocationOperation call, (string Path, INamedTypeSymbol Type) child, Scope scope)
        {
            RequireUnpacked(call, child);
            var inputs = new List<int> { Value(Argument(call, "input")!, scope) };
            bool lstm = child.Type.ToDisplayString() == LstmType;
            var stateParameter = lstm ? "state" : "h0";
            if (!IsNullOrDefault(call, stateParameter))
            {
                var state = Argument(call, stateParameter)!;
                while (state is IConversionOperation conversion) state = conversion.Operand;
                if (!lstm) inputs.Add(Value(state, scope));
                else if (state is ITupleOperation { Elements.Length: 2 } pair) inputs.AddRange(pair.Elements.Select(e => Value(e, scope)));
                else throw Break(call, "an LSTM state that is not written as a tuple (h0, c0) in the Forward call");
            }
            var arguments = RecurrentConfiguration(call, child, lstm, inputs.Count - 1);
            Bind(child.Path, child.Type);
            int output = Add(GraphOp.Recurrent, inputs, child.Path, call, arguments);
            return new RecurrentValues(output, lstm, call);
        }

        /// <summary>A recurrent call on a <c>PackedSequence</c> is a graph break: its steps run on batches of varying sizes.</summary>
        static void RequireUnpacked(IInvocationOperation call, (string Path, INamedTypeSymbol Type) child)
        {
            if (call.TargetMethod.Parameters.FirstOrDefault()?.Type.Name == "PackedSequence")
                throw Break(call, "a PackedSequence passed to " + child.Type.Name + ".Forward (packed sequences are not compiled; the module runs eagerly)");
        }

        /// <summary>Whether a field read is a tuple element of a recurrent child's <c>Forward</c> call (<c>_gru.Forward(x).Output</c>, <c>.State.H</c>).</summary>
        bool IsRecurrentElement(IFieldReferenceOperation element, Scope scope)
        {
            var instance = element.Instance;
            while (instance is IFieldReferenceOperation outer) instance = outer.Instance;
            return instance is IInvocationOperation call && RecurrentChild(call, scope) is not null;
        }

        /// <summary>
        /// The node's arguments: the layer's kind, then the options that decide its parameters (numLayers,
        /// bidirectional, bias, projSize), read from the member's initializer, and how many initial states it reads.
        /// </summary>
        string[] RecurrentConfiguration(IInvocationOperation call, (string Path, INamedTypeSymbol Type) child, bool lstm, int states)
        {
            var layer = LayerArguments.Read(child.Path, _root, _types, _compilation, _cancellationToken);
            var layers = layer?.Constant("numLayers");
            var projSize = lstm ? layer?.Constant("projSize") : 0;
            bool? Flag(string option) => layer is null || layer.Flag(option, true) != layer.Flag(option, false) ? null : layer.Flag(option, true);
            var bidirectional = Flag("bidirectional");
            var bias = Flag("bias");
            if (layers is not int count || count <= 0 || bidirectional is not bool both || bias is not bool biased || projSize is not int projection)
                throw Break(call, child.Type.Name + " " + child.Path + "'s numLayers, bidirectional, bias" + (lstm ? " or projSize" : "")
                    + " is not known at build time (the graph takes a gradient for each of its parameters: create it in its member's initializer or the constructor with constant options)");
            return new[]
            {
                child.Type.Name,
                count.ToString(CultureInfo.InvariantCulture),
                both ? "true" : "false",
                biased ? "true" : "false",
                projection.ToString(CultureInfo.InvariantCulture),
                states.ToString(CultureInfo.InvariantCulture),
            };
        }

        /// <summary>How many parameters a recurrent node's layer has: per layer and direction two weights, two biases and an LSTM's projection.</summary>
        internal static int RecurrentParameterCount(GraphNode node)
        {
            int layers = int.Parse(node.Arguments[1], CultureInfo.InvariantCulture) * (node.Arguments[2] == "true" ? 2 : 1);
            return layers * (2 + (node.Arguments[3] == "true" ? 2 : 0) + (node.Arguments[4] != "0" ? 1 : 0));
        }

        /// <summary>A final state of a recurrent call: the hidden state, or an LSTM's cell state; one node each, made when first read.</summary>
        int RecurrentState(RecurrentValues values, bool cell, IOperation at)
        {
            if (cell)
                return values.Cell ??= Add(GraphOp.RecurrentCell, new[] { values.Output }, "", at);
            return values.Hidden ??= Add(GraphOp.RecurrentHidden, new[] { values.Output }, "", at);
        }

        /// <summary>
        /// A tuple element read off a recurrent call: <c>.Output</c>, <c>.Hidden</c>, <c>.State.H</c>, <c>.State.C</c>
        /// (and the ItemN names).
        /// </summary>
        int RecurrentElement(IFieldReferenceOperation element, Scope scope)
        {
            var path = new List<string> { element.Field.Name };
            var instance = element.Instance;
            while (instance is IFieldReferenceOperation outer)
            {
                path.Insert(0, outer.Field.Name);
                instance = outer.Instance;
            }
            if (instance is not IInvocationOperation call || RecurrentChild(call, scope) is not { } child)
                throw Break(element, "a tuple element that is not read off a recurrent layer's Forward call");
            RequireUnpacked(call, child);
            var values = RecurrentForward(call, child, scope);
            return RecurrentPart(values, path, element);
        }

        /// <summary>The value at <paramref name="path"/> (field names from the tuple down) of a recurrent call's result.</summary>
        int RecurrentPart(RecurrentValues values, IReadOnlyList<string> path, IOperation at)
        {
            string Normal(string field) => field switch
            {
                "Item1" => "Output",
                "Item2" => values.Lstm ? "State" : "Hidden",
                _ => field,
            };
            var first = Normal(path[0]);
            if (first == "Output" && path.Count == 1) return values.Output;
            if (first == "Hidden" && path.Count == 1) return RecurrentState(values, cell: false, at);
            if (first == "State" && path.Count == 2 && path[1] is "H" or "Item1") return RecurrentState(values, cell: false, at);
            if (first == "State" && path.Count == 2 && path[1] is "C" or "Item2") return RecurrentState(values, cell: true, at);
            throw Break(at, "the " + string.Join(".", path) + " of a recurrent layer's result used whole (read Output, Hidden, State.H or State.C, or deconstruct it)");
        }

        /// <summary>
        /// <c>var (output, (h, c)) = _lstm.Forward(x);</c>, <c>var (output, _) = _gru.Forward(x);</c> and the same with
        /// existing locals: each named element is bound to its value; a discard reads nothing.
        /// </summary>
        void RecurrentDeconstruction(IDeconstructionAssignmentOperation assignment, (string Path, INamedTypeSymbol Type) child, Scope scope)
        {
            var call = (IInvocationOperation)Unwrap(assignment.Value);
            var values = RecurrentForward(call, child, scope);
            var target = assignment.Target is IDeclarationExpressionOperation declaration ? declaration.Expression : assignment.Target;
            BindElements(target, new List<string>(), values, scope, assignment);
        }

        void BindElements(IOperation target, List<string> path, RecurrentValues values, Scope scope, IOperation at)
        {
            if (target is IDeclarationExpressionOperation declaration) target = declaration.Expression;
            switch (target)
            {
                case ITupleOperation tuple:
                    for (int i = 0; i < tuple.Elements.Length; i++)
                    {
                        path.Add("Item" + (i + 1).ToString(CultureInfo.InvariantCulture));
                        BindElements(tuple.Elements[i], path, values, scope, at);
                        path.RemoveAt(path.Count - 1);
                    }
                    return;
                case IDiscardOperation:
                    return;
                case ILocalReferenceOperation local:
                    RequireTensor(local.Local.Type, at, "a deconstruction into a local of type " + local.Local.Type.ToDisplayString());
                    scope.Values[local.Local] = RecurrentPart(values, path, target);
                    return;
                default:
                    throw Break(at, "a deconstruction into " + Describe(target) + " (only locals and discards are compiled)");
            }
        }

        static IOperation Unwrap(IOperation operation)
        {
            while (operation is IConversionOperation conversion) operation = conversion.Operand;
            return operation;
        }

        /// <summary>
        /// <c>x.Select(dim, index)</c>, <c>x.Narrow(dim, start, length)</c> and <c>x[index]</c> (Select along dim 0) with
        /// constant arguments, or null for another call.
        /// </summary>
        int? Slicing(IInvocationOperation invocation, IOperation tensor, Scope scope)
        {
            var method = invocation.TargetMethod.Name;
            if (method is not ("Select" or "Narrow")) return null;
            int expected = method == "Select" ? 2 : 3;
            if (invocation.Arguments.Length != expected) return null;
            var arguments = invocation.Arguments.Select(a => ConstantInt(a.Value)).ToArray();
            if (arguments.Any(a => a is null))
                throw Break(invocation, "a " + method + " whose arguments are not constants (the plan works out the slice once per input shape)");
            return Add(method == "Select" ? GraphOp.Select : GraphOp.Narrow, new[] { Value(tensor, scope) }, "", invocation, arguments!);
        }

        /// <summary><c>t[i]</c> with a constant <c>i</c>: <c>t.Select(0, i)</c>.</summary>
        int Indexer(IPropertyReferenceOperation indexer, Scope scope)
        {
            if (ConstantInt(indexer.Arguments[0].Value) is not { } index)
                throw Break(indexer, "a tensor index that is not a constant int (t[i] compiles as t.Select(0, i) with a constant i)");
            return Add(GraphOp.Select, new[] { Value(indexer.Instance!, scope) }, "", indexer, "0", index);
        }
    }
}
