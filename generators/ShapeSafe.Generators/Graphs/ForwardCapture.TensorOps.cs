using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    // The tensor methods a Forward commonly calls on one tensor: the reductions (Sum, Mean, Var, Std, Max and Min, whole
    // or over dims, and Max(dim).Values), the element-wise math (Exp, Log, Sqrt, Rsqrt, Abs, Square, Pow with a
    // scalar exponent, Clamp), Tril and Triu, and Expand. Each is one composite step that runs the eager method on a tape
    // of its own (GraphOps.Function), written into the generated code as a lambda (static x => x.Sum(dim: 1, keepDim:
    // true)), so its value and its input's gradient are eager mode's, from the same kernels and gradient rules. The
    // arguments after the tensor are written into the lambda, so they must be constants; one that is not is a graph
    // break naming the method and the argument.
    internal sealed partial class ForwardCapture
    {
        /// <summary>The methods this file compiles, by name, with the shared shape rule each one's shape comes from.</summary>
        static readonly Dictionary<string, string> TensorMethods = new()
        {
            ["Sum"] = "Reduce",
            ["Mean"] = "Reduce",
            ["Var"] = "Reduce",
            ["Std"] = "Reduce",
            ["Max"] = "Reduce",
            ["Min"] = "Reduce",
            ["Exp"] = "Elementwise",
            ["Log"] = "Elementwise",
            ["Sqrt"] = "Elementwise",
            ["Rsqrt"] = "Elementwise",
            ["Abs"] = "Elementwise",
            ["Square"] = "Elementwise",
            ["Pow"] = "Elementwise",
            ["Clamp"] = "Elementwise",
            ["Tril"] = "Triangle",
            ["Triu"] = "Triangle",
            ["Expand"] = "Expand",
        };

        /// <summary>
        /// One of <see cref="TensorMethods"/> called on a tensor with arguments that are not tensors; null for any other
        /// call. <c>Max(dim)</c> and <c>Min(dim)</c>, which return values and indices, are read through
        /// <see cref="ExtremumValues"/>.
        /// </summary>
        int? TensorMethod(IInvocationOperation invocation, string? containing, Scope scope)
        {
            var method = invocation.TargetMethod;
            if (containing != "ShapeSafe.Tensor" || method.IsStatic || invocation.Instance is not { } tensor
                || !TensorMethods.TryGetValue(method.Name, out var rule) || !_types.IsTensor(method.ReturnType)
                || invocation.Arguments.Any(a => _types.IsTensor(a.Value.Type)))
                return null;
            return TensorFunction(invocation, tensor, rule, "", scope);
        }

        /// <summary>Whether <paramref name="element"/> is <c>x.Max(dim).Values</c> or <c>x.Min(dim, keepDim).Values</c> of a tensor.</summary>
        bool IsExtremumValues(IFieldReferenceOperation element) =>
            element.Field.Name == "Values" && element.Instance is IInvocationOperation { TargetMethod: { Name: "Max" or "Min", IsStatic: false } method, Instance: { } }
            && method.ContainingType?.ToDisplayString() == "ShapeSafe.Tensor" && !_types.IsTensor(method.ReturnType);

        /// <summary><c>x.Max(dim, keepDim).Values</c>: the values along the dim, whose gradient goes to each maximum's place (the indices are not read).</summary>
        int ExtremumValues(IFieldReferenceOperation element, Scope scope)
        {
            var invocation = (IInvocationOperation)element.Instance!;
            return TensorFunction(invocation, invocation.Instance!, "Reduce", ".Values", scope);
        }

        /// <summary>
        /// The step of <paramref name="invocation"/>: its arguments are the method's name, the lambda's body, the shape
        /// rule, then what the rule reads (a reduction's keepDim and dims, the expanded sizes).
        /// </summary>
        int TensorFunction(IInvocationOperation invocation, IOperation tensor, string rule, string member, Scope scope)
        {
            var name = invocation.TargetMethod.Name;
            var rendered = new List<string>();
            var dims = new List<string>();
            var sizes = new List<string>();
            bool keepDim = false;
            foreach (var argument in invocation.Arguments)
            {
                if (argument.ArgumentKind == ArgumentKind.DefaultValue) continue;
                var parameter = argument.Parameter!.Name;
                var literal = Literal(argument.Value);
                if (literal is null)
                    throw Break(invocation, "Tensor." + name + "'s " + parameter + " is not a constant (the graph writes the call's arguments into its code)");
                rendered.Add(parameter + ": " + literal);
                var value = Unwrap(argument.Value);
                switch (parameter)
                {
                    case "dim":
                        dims.Add(((int)value.ConstantValue.Value!).ToString(CultureInfo.InvariantCulture));
                        break;
                    case "dims":
                        dims.AddRange(ConstantElements(value).Select(e => ((int)Unwrap(e).ConstantValue.Value!).ToString(CultureInfo.InvariantCulture)));
                        break;
                    case "keepDim":
                        keepDim = (bool)value.ConstantValue.Value!;
                        break;
                    case "shape":
                        sizes.AddRange(ConstantElements(value).Select(e => ((int)Unwrap(e).ConstantValue.Value!).ToString(CultureInfo.InvariantCulture)));
                        break;
                }
            }
            var arguments = new List<string> { name, "x." + name + "(" + string.Join(", ", rendered) + ")" + member, rule };
            if (rule == "Reduce")
            {
                arguments.Add(keepDim ? "true" : "false");
                arguments.AddRange(dims);
            }
            else if (rule == "Expand")
            {
                arguments.AddRange(sizes);
            }
            return Add(GraphOp.TensorFunction, new[] { Value(tensor, scope) }, "", invocation, arguments.ToArray());
        }

        /// <summary>
        /// A constant argument as C# text of its own type (<c>1</c>, <c>true</c>, <c>0.5f</c>, <c>1E-05d</c>,
        /// <c>new int[] { 0, 2 }</c>), so that the generated call picks the overload the source picks; null when it is not
        /// a constant.
        /// </summary>
        static string? Literal(IOperation operation)
        {
            operation = Unwrap(operation);
            if (operation is IArrayCreationOperation { Initializer: { } initializer } array
                && array.Type is IArrayTypeSymbol { ElementType.SpecialType: SpecialType.System_Int32 })
            {
                var elements = initializer.ElementValues.Select(Literal).ToList();
                return elements.Any(e => e is null) ? null : "new int[] { " + string.Join(", ", elements) + " }";
            }
            if (!operation.ConstantValue.HasValue) return null;
            return operation.ConstantValue.Value switch
            {
                int i => i.ToString(CultureInfo.InvariantCulture),
                long l => l.ToString(CultureInfo.InvariantCulture) + "L",
                bool b => b ? "true" : "false",
                float f => FloatLiteral(f),
                double d when !double.IsNaN(d) && !double.IsInfinity(d) => d.ToString("R", CultureInfo.InvariantCulture) + "d",
                _ => null,
            };
        }
    }
}
