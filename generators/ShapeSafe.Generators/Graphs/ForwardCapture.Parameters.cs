using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// A module's own state read by <c>Forward</c>: each <c>Parameter</c> member it (or an inlined child) reads is an
    /// input of the graph that takes a gradient, bound when the graph is compiled; each <c>[Buffer]</c> tensor is an
    /// input without one, read again at every call. The matrix products on them (<c>Matmul</c>, <c>Mm</c>, <c>Bmm</c>,
    /// <c>F.Linear</c>) and <c>w.T</c> are captured here too.
    /// </summary>
    internal sealed partial class ForwardCapture
    {
        // The node of each parameter or buffer read so far, by registry path: a member read twice is one input.
        readonly Dictionary<string, int> _stateNodes = new Dictionary<string, int>(System.StringComparer.Ordinal);

        /// <summary>
        /// The value of a member reference that is module state (<c>_weight</c>, <c>this.Gamma</c>), or of
        /// <c>t.T</c>; null for anything else.
        /// </summary>
        int? StateValue(IOperation operation, Scope scope)
        {
            if (operation is IPropertyReferenceOperation { Property.Name: "T", Arguments.Length: 0, Instance: { } transposed } t
                && _types.IsTensor(transposed.Type) && t.Property.ContainingType?.ToDisplayString() == "ShapeSafe.Tensor")
                return Add(GraphOp.Transpose, new[] { Value(transposed, scope) }, "", operation, "T");
            ISymbol? member = operation switch
            {
                IFieldReferenceOperation { Instance: IInstanceReferenceOperation } field => field.Field,
                IPropertyReferenceOperation { Instance: IInstanceReferenceOperation, Arguments.Length: 0 } property => property.Property,
                _ => null,
            };
            if (member is null || ModuleGenerator.Parser.StateOf(member, _types) is not { Kind: StateKind.Parameter or StateKind.Buffer } state) return null;
            var path = scope.Prefix.Length == 0 ? state.StateName : scope.Prefix + "." + state.StateName;
            if (_stateNodes.TryGetValue(path, out int known)) return known;
            var op = state.Kind == StateKind.Parameter ? GraphOp.Parameter : GraphOp.Buffer;
            int node = Add(new GraphNode(op, default, "", new[] { path }.ToEquatableArray(), SourceOf(operation)), operation.Syntax.GetLocation());
            _stateNodes[path] = node;
            return node;
        }

        /// <summary>
        /// <c>a.Matmul(b)</c>, <c>Tensor.Matmul(a, b)</c>, <c>Tensor.Mm(a, b)</c>, <c>Tensor.Bmm(a, b)</c>, and
        /// <c>F.Linear(x, weight)</c> or <c>F.Linear(x, weight, bias)</c>, on graph values; null for any other call.
        /// </summary>
        int? Product(IInvocationOperation invocation, Scope scope)
        {
            var method = invocation.TargetMethod;
            var containing = method.ContainingType?.ToDisplayString();
            var arguments = invocation.Arguments;
            if (containing == "ShapeSafe.Tensor" && method.Name is "Matmul" or "Mm" or "Bmm")
            {
                var (a, b) = method.IsStatic
                    ? (arguments.Length == 2 ? (arguments[0].Value, arguments[1].Value) : (null, null))
                    : (arguments.Length == 1 ? (invocation.Instance, arguments[0].Value) : (null, null));
                if (a is null || b is null) return null;
                return Add(GraphOp.Matmul, new[] { Value(a, scope), Value(b, scope) }, "", invocation, method.Name);
            }
            if (containing == "ShapeSafe.NN.F" && method.Name == "Linear" && arguments.Length is 2 or 3)
            {
                var inputs = new List<int> { Value(arguments[0].Value, scope), Value(arguments[1].Value, scope) };
                if (arguments.Length == 3 && !IsNull(arguments[2])) inputs.Add(Value(arguments[2].Value, scope));
                return Add(GraphOp.FunctionalLinear, inputs, "", invocation);
            }
            return null;
        }

        /// <summary>An argument left out (its default, null) or written as <c>null</c>.</summary>
        static bool IsNull(IArgumentOperation argument)
        {
            if (argument.ArgumentKind == ArgumentKind.DefaultValue) return true;
            var value = argument.Value;
            while (value is IConversionOperation conversion) value = conversion.Operand;
            return value.ConstantValue is { HasValue: true, Value: null };
        }

        /// <summary>
        /// Whether <paramref name="op"/> reads its strided (transposed) inputs through their strides, as the eager op
        /// does: a matrix product, and <c>F.Linear</c>'s weight.
        /// </summary>
        bool ReadsStrided(GraphOp op, IReadOnlyList<int> inputs) =>
            op == GraphOp.Matmul || op == GraphOp.FunctionalLinear && inputs.Select((n, i) => (n, i)).All(p => p.i == 1 || !IsStrided(p.n));

        /// <summary>Whether a node is a read of module state (a parameter or a buffer), an input of the graph beside <c>Forward</c>'s arguments.</summary>
        internal static bool IsState(GraphOp op) => op is GraphOp.Parameter or GraphOp.Buffer;
    }
}
