using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Operations;
using ShapeSafe.Generators.Model;

namespace ShapeSafe.Generators.Graphs
{
    /// <summary>
    /// Branches on values known when the graph is bound, as TorchDynamo specializes on them: <c>Training</c> (read at
    /// each call) and readonly options (bool, integer, enum, string, float and double fields, and child modules compared
    /// with null), which cannot change once the constructor has run. Each <c>if</c>, <c>?:</c> and <c>switch</c> on
    /// them is captured once per outcome: the capture is run once per path through the branches (each branch's true side
    /// first), and every path is a graph of its own, a variant. The compiled class evaluates the conditions when it binds
    /// and picks a variant per mode.
    /// </summary>
    internal sealed partial class ForwardCapture
    {
        /// <summary>How many combinations of the branches' outcomes are compiled at most (more is a graph break).</summary>
        const int MaxVariants = 8;

        const string BranchRule = "branches compile when their conditions read only Training, constants and readonly bool, integer, enum, string, "
            + "float or double fields, or compare a readonly child module field with null";

        /// <summary>What every path of one capture shares: the children and accessors the conditions read.</summary>
        readonly Paths _paths = new Paths();

        /// <summary>The outcomes this path takes for the first branches it meets; past them, each branch's true side.</summary>
        readonly IReadOnlyList<bool> _prescribed = Array.Empty<bool>();

        /// <summary>The type of the module at each inlined prefix, as the parent constructs it (<c>Block&lt;float&gt;</c>, where the body reads <c>Block&lt;T&gt;</c>).</summary>
        readonly Dictionary<string, INamedTypeSymbol> _inlinedTypes = new Dictionary<string, INamedTypeSymbol>(StringComparer.Ordinal);

        /// <summary>The branches this path met, in order, and where.</summary>
        readonly List<(BranchDecision Decision, IOperation At)> _decisions = new List<(BranchDecision, IOperation)>();

        ForwardCapture(IMethodSymbol forward, ModuleTypes types, Compilation compilation, CancellationToken cancellationToken, Paths paths, IReadOnlyList<bool> prescribed)
            : this(forward.ContainingType, types, compilation, cancellationToken)
        {
            _paths = paths;
            _prescribed = prescribed;
        }

        /// <summary>
        /// Captures every path through <paramref name="forward"/>'s branches: one graph when it has none (as before
        /// branches compiled), else one variant per path, up to <see cref="MaxVariants"/>.
        /// </summary>
        static Result CaptureVariants(IMethodSymbol forward, ModuleTypes types, Compilation compilation, CancellationToken cancellationToken)
        {
            var paths = new Paths();
            var variants = new List<GraphVariant>();
            var sources = new List<PathSources>();
            IReadOnlyList<bool> prescribed = Array.Empty<bool>();
            while (true)
            {
                var capture = new ForwardCapture(forward, types, compilation, cancellationToken, paths, prescribed);
                CapturedGraph? graph = null;
                string throws = "";
                try
                {
                    graph = capture.CapturePath(forward);
                }
                catch (GraphBreakException e)
                {
                    return new Result(null, e.Message, e.Location);
                }
                catch (PathThrowsException e)
                {
                    if (capture._decisions.Count == 0)
                        return new Result(null, e.Message + ", which compiles only behind a branch on Training or a readonly option (that combination runs eagerly)", e.Location);
                    throws = e.Message;
                }
                var decisions = capture._decisions;
                if (decisions.Count == 0) return new Result(graph, "", null, capture._inlined, capture._locations);
                variants.Add(new GraphVariant(decisions.Select(d => d.Decision).ToEquatableArray(), graph, throws));
                sources.Add(new PathSources(capture._inlined, capture._locations));
                if (variants.Count > MaxVariants)
                {
                    var tooMany = Break(decisions[decisions.Count - 1].At, "the branches on Training and readonly options have more than " + MaxVariants
                        + " combinations of outcomes (each combination is a graph of its own; at most " + MaxVariants + " are compiled)");
                    return new Result(null, tooMany.Message, tooMany.Location);
                }
                // The next path: the last branch this one took flips to its false side; the branches after it are met anew.
                int last = decisions.FindLastIndex(d => d.Decision.Taken);
                if (last < 0) break;
                prescribed = decisions.Take(last).Select(d => d.Decision.Taken).Concat(new[] { false }).ToList();
            }
            if (variants.All(v => v.Graph is null))
                return new Result(null, "every combination of the branches' outcomes ends in a throw", forward.Locations.FirstOrDefault());
            return new Result(null, "", null, variants: new GraphVariants(variants.ToEquatableArray(), paths.Children.ToEquatableArray(),
                paths.Accessors.ToEquatableArray(), paths.ReadsTraining), variantSources: sources);
        }

        /// <summary>
        /// Which side of a branch on <paramref name="condition"/> this path takes: the known one when the condition is
        /// known at build time (an unrolled loop's counter), else the path's outcome for it. A condition that is not
        /// known when the graph is bound is a graph break that names what it reads.
        /// </summary>
        bool Branch(IOperation condition, IOperation at, Scope scope, string what)
        {
            if (KnownBool(condition, scope) is bool known) return known;
            // !Training is the branch on Training with its sides swapped.
            bool negated = false;
            while (condition is IUnaryOperation { OperatorKind: UnaryOperatorKind.Not, OperatorMethod: null } not)
            {
                negated = !negated;
                condition = not.Operand;
            }
            return Decide(Condition(() => Render(condition, scope), at, what), SourceText(condition.Syntax), at, scope) != negated;
        }

        /// <summary>This path's outcome for a condition: the one it took before (a condition met again, in a loop or a second <c>if</c>), the prescribed one, or true.</summary>
        bool Decide(string condition, string source, IOperation at, Scope scope)
        {
            foreach (var (decision, _) in _decisions)
                if (decision.Condition == condition) return decision.Taken;
            bool taken = _decisions.Count >= _prescribed.Count || _prescribed[_decisions.Count];
            _decisions.Add((new BranchDecision(condition, source, scope.Prefix, taken), at));
            return taken;
        }

        /// <summary><c>switch</c> statements: each section's labels are one branch, in order, and the default section is taken when none matches.</summary>
        int? Switch(ISwitchOperation @switch, Scope scope)
        {
            ISwitchCaseOperation? fallback = null;
            foreach (var section in @switch.Cases)
            {
                if (section.Clauses.Any(c => c.CaseKind == CaseKind.Default))
                {
                    fallback = section;
                    continue;
                }
                if (Matches(@switch.Value, section.Clauses, @switch, scope)) return Section(section, scope);
            }
            return fallback is null ? null : Section(fallback, scope);
        }

        /// <summary>Whether one of a section's labels matches the switch's value, on this path.</summary>
        bool Matches(IOperation value, IReadOnlyList<ICaseClauseOperation> clauses, IOperation at, Scope scope)
        {
            // A switch on an unrolled loop's counter is decided at build time.
            if (KnownInt(value, scope) is int known && clauses.All(c => c is ISingleValueCaseClauseOperation { Value.ConstantValue: { HasValue: true, Value: int } }))
                return clauses.Any(c => (int)((ISingleValueCaseClauseOperation)c).Value.ConstantValue.Value! == known);
            var condition = Condition(() =>
            {
                var governing = Operand(value, scope, comparedWithNull: false, RelationalPrecedence);
                var tests = clauses.Select(clause => clause switch
                {
                    ISingleValueCaseClauseOperation single => governing + " == " + Operand(single.Value, scope, comparedWithNull: false, 9, right: true),
                    IPatternCaseClauseOperation { Guard: null } pattern => governing + " is " + Pattern(pattern.Pattern, scope),
                    IPatternCaseClauseOperation pattern => governing + " is " + Pattern(pattern.Pattern, scope) + " && " + Operand(pattern.Guard, scope, comparedWithNull: false, 5, right: true),
                    _ => throw new NotBindTimeException("a case label of kind " + clause.CaseKind),
                }).ToList();
                return tests.Count == 1 ? tests[0] : string.Join(" || ", tests.Select(t => "(" + t + ")"));
            }, at, "a switch statement");
            var labels = clauses.Select(c => c switch
            {
                ISingleValueCaseClauseOperation single => single.Value.Syntax.ToString(),
                IPatternCaseClauseOperation pattern => pattern.Pattern.Syntax + (pattern.Guard is null ? "" : " when " + pattern.Guard.Syntax),
                _ => c.Syntax.ToString(),
            });
            return Decide(condition, SourceText(value.Syntax) + " is " + string.Join(" or ", labels), at, scope);
        }

        /// <summary>A switch section's statements, up to the <c>break</c> that ends it.</summary>
        int? Section(ISwitchCaseOperation section, Scope scope)
        {
            var body = section.Body;
            int count = body.Length;
            if (count > 0 && body[count - 1] is IBranchOperation { BranchKind: BranchKind.Break }) count--;
            for (int i = 0; i < count; i++)
            {
                if (Statement(body[i], scope) is { } returned) return returned;
            }
            return null;
        }

        /// <summary>A switch expression: each arm's pattern is one branch, in order; a discard arm is taken when none before it matches.</summary>
        int SwitchExpression(ISwitchExpressionOperation @switch, Scope scope)
        {
            foreach (var arm in @switch.Arms)
            {
                if (arm.Pattern is IDiscardPatternOperation && arm.Guard is null) return Value(arm.Value, scope);
                var condition = Condition(() =>
                    Operand(@switch.Value, scope, comparedWithNull: IsNullPattern(arm.Pattern), RelationalPrecedence) + " is " + Pattern(arm.Pattern, scope)
                    + (arm.Guard is null ? "" : " && " + Operand(arm.Guard, scope, comparedWithNull: false, 5, right: true)), arm, "a switch expression");
                var source = SourceText(@switch.Value.Syntax) + " is " + arm.Pattern.Syntax + (arm.Guard is null ? "" : " when " + arm.Guard.Syntax);
                if (Decide(condition, source, arm, scope)) return Value(arm.Value, scope);
            }
            // No arm matches: eager mode throws its SwitchExpressionException.
            throw new PathThrowsException(@switch.Syntax.GetLocation(), Line(@switch) + "a switch expression that no arm matches");
        }

        /// <summary>A <c>throw</c>: the path it ends runs eagerly, which throws it.</summary>
        static PathThrowsException Throws(IThrowOperation thrown) =>
            new PathThrowsException(thrown.Syntax.GetLocation(), Line(thrown) + OneLine(thrown.Syntax.ToString()));

        static string Line(IOperation at) => "line " + (at.Syntax.GetLocation().GetLineSpan().StartLinePosition.Line + 1) + ": ";

        static string OneLine(string text) =>
            string.Join(" ", text.Split(new[] { '\r', '\n' }, StringSplitOptions.RemoveEmptyEntries).Select(l => l.Trim()));

        /// <summary>A condition as written, on one line.</summary>
        static string SourceText(SyntaxNode syntax) => OneLine(syntax.ToString());

        /// <summary>Renders a condition, or breaks the graph at <paramref name="at"/> naming what the condition reads that is not known when the graph is bound.</summary>
        static string Condition(Func<string> render, IOperation at, string what)
        {
            try
            {
                return render();
            }
            catch (NotBindTimeException e)
            {
                throw Break(at, what + " on " + e.Message + " (" + BranchRule + ")");
            }
        }

        /// <summary>
        /// A condition (or an operand of one) as C# the compiled class evaluates when it binds: constants as literals,
        /// readonly fields read from the module or the inlined child they belong to, <c>Training</c> as the mode the
        /// variant is picked for (<c>training</c>).
        /// </summary>
        string Render(IOperation operation, Scope scope, bool comparedWithNull = false)
        {
            if (operation.ConstantValue.HasValue) return Literal(operation.ConstantValue.Value, operation.Type);
            switch (operation)
            {
                case ILocalReferenceOperation local when scope.Ints.TryGetValue(local.Local, out int known):
                    return known.ToString(CultureInfo.InvariantCulture);
                case IPropertyReferenceOperation { Instance: IInstanceReferenceOperation instance, Property.Name: "Training" } training
                    when SymbolEqualityComparer.Default.Equals(training.Property.ContainingType, _types.Module):
                    _paths.ReadsTraining = true;
                    // An inlined child's Training is taken to be the module's; the compiled class checks that it is.
                    if (scope.Prefix.Length > 0) _paths.Child(scope.Prefix, _inlinedTypes[scope.Prefix], followsMode: true);
                    return "training";
                case IFieldReferenceOperation { Field.IsStatic: true } field:
                    throw new NotBindTimeException("the static field " + field.Field.Name);
                case IFieldReferenceOperation { Instance: IInstanceReferenceOperation instance } field:
                    if (!field.Field.IsReadOnly) throw new NotBindTimeException("the field " + field.Field.Name + ", which is not readonly");
                    if (_types.IsModule(field.Field.Type) && !comparedWithNull)
                        throw new NotBindTimeException("the child module " + field.Field.Name + " compared with something other than null");
                    if (!_types.IsModule(field.Field.Type) && !IsOption(field.Field.Type))
                        throw new NotBindTimeException("the field " + field.Field.Name + " of type " + field.Field.Type.ToDisplayString());
                    return FieldRead(field.Field, scope);
                case IPropertyReferenceOperation property:
                    throw new NotBindTimeException("the property " + property.Property.Name);
                case IBinaryOperation binary when BuiltIn(binary.OperatorMethod) && BinaryToken(binary.OperatorKind) is { } token
                    && !_types.IsTensor(binary.LeftOperand.Type) && !_types.IsTensor(binary.RightOperand.Type):
                {
                    bool nullTest = binary.OperatorKind is BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals
                        && (IsNull(binary.LeftOperand) || IsNull(binary.RightOperand));
                    int precedence = Precedence(binary);
                    return Operand(binary.LeftOperand, scope, nullTest, precedence) + " " + token + " " + Operand(binary.RightOperand, scope, nullTest, precedence, right: true);
                }
                case IUnaryOperation unary when unary.OperatorMethod is null && UnaryToken(unary.OperatorKind) is { } token && !_types.IsTensor(unary.Operand.Type):
                    return token + Operand(unary.Operand, scope, comparedWithNull: false, UnaryPrecedence);
                case IConversionOperation { OperatorMethod: null, Conversion.IsImplicit: true } conversion:
                    return Render(conversion.Operand, scope, comparedWithNull);
                case IConversionOperation { OperatorMethod: null } conversion when IsNumberOrEnum(conversion.Type) && IsNumberOrEnum(conversion.Operand.Type):
                    return "(" + TypeName(conversion.Type!) + ")" + Operand(conversion.Operand, scope, comparedWithNull: false, UnaryPrecedence);
                case IIsPatternOperation test:
                    return Operand(test.Value, scope, IsNullPattern(test.Pattern), RelationalPrecedence) + " is " + Pattern(test.Pattern, scope);
            }
            throw new NotBindTimeException(Culprit(operation));
        }

        const int UnaryPrecedence = 14;
        const int RelationalPrecedence = 10;

        /// <summary>
        /// An operand of a larger condition: rendered, in parentheses where C# would otherwise group it otherwise (an
        /// operand that binds less tightly than <paramref name="parent"/>, or as tightly on its right).
        /// </summary>
        string Operand(IOperation operation, Scope scope, bool comparedWithNull, int parent, bool right = false)
        {
            var text = Render(operation, scope, comparedWithNull);
            if (operation.ConstantValue.HasValue) return text.StartsWith("-", StringComparison.Ordinal) && parent >= UnaryPrecedence ? "(" + text + ")" : text;
            while (operation is IConversionOperation { Conversion.IsImplicit: true } conversion) operation = conversion.Operand;
            int precedence = Precedence(operation);
            return precedence < parent || right && precedence == parent ? "(" + text + ")" : text;
        }

        /// <summary>How tightly C# binds an operation (its operator's precedence; 15 for what binds tightest).</summary>
        static int Precedence(IOperation operation) => operation switch
        {
            IBinaryOperation binary => binary.OperatorKind switch
            {
                BinaryOperatorKind.Multiply or BinaryOperatorKind.Divide or BinaryOperatorKind.Remainder => 13,
                BinaryOperatorKind.Add or BinaryOperatorKind.Subtract => 12,
                BinaryOperatorKind.LessThan or BinaryOperatorKind.LessThanOrEqual or BinaryOperatorKind.GreaterThan or BinaryOperatorKind.GreaterThanOrEqual => RelationalPrecedence,
                BinaryOperatorKind.Equals or BinaryOperatorKind.NotEquals => 9,
                BinaryOperatorKind.And => 8,
                BinaryOperatorKind.ExclusiveOr => 7,
                BinaryOperatorKind.Or => 6,
                BinaryOperatorKind.ConditionalAnd => 5,
                _ => 4,
            },
            IIsPatternOperation => RelationalPrecedence,
            IUnaryOperation or IConversionOperation => UnaryPrecedence,
            _ => 15,
        };

        string Pattern(IPatternOperation pattern, Scope scope) => pattern switch
        {
            IConstantPatternOperation constant => Render(constant.Value, scope),
            INegatedPatternOperation negated => "not " + Pattern(negated.Pattern, scope),
            IBinaryPatternOperation binary => "(" + Pattern(binary.LeftPattern, scope) + (binary.OperatorKind == BinaryOperatorKind.Or ? " or " : " and ")
                + Pattern(binary.RightPattern, scope) + ")",
            IRelationalPatternOperation relational when BinaryToken(relational.OperatorKind) is { } token => token + " " + Render(relational.Value, scope),
            IDiscardPatternOperation => "_",
            _ => throw new NotBindTimeException("the pattern " + pattern.Syntax),
        };

        /// <summary>
        /// A readonly field as the compiled class reads it: through <c>Module</c> for the module's own, through the bound
        /// child for an inlined child's; by name where the compiled class may name it, else through an accessor.
        /// </summary>
        string FieldRead(IFieldSymbol field, Scope scope)
        {
            string instance = "Module";
            var instanceType = _inlinedTypes[scope.Prefix];
            if (scope.Prefix.Length > 0)
            {
                _paths.Child(scope.Prefix, instanceType, followsMode: false);
                instance = Member(scope.Prefix);
            }
            if (_compilation.IsSymbolAccessibleWithin(field, _root, instanceType))
                return instance + "." + Escape(field.Name);
            if (field.ContainingType.IsGenericType)
                throw new NotBindTimeException("the field " + field.Name + ", private to the generic class " + field.ContainingType.Name + " (an accessor cannot name it)");
            var name = field.ContainingType.Name + GraphPlanner.Pascal(field.Name);
            _paths.Accessor(new FieldAccessor(name, TypeName(field.ContainingType), field.Name, TypeName(field.Type)));
            return name + "(" + instance + ")";
        }

        /// <summary>A type parameter <paramref name="type"/> mentions that the compiled class does not have (one of an inlined generic child's own), or null.</summary>
        ITypeParameterSymbol? ForeignTypeParameter(ITypeSymbol type)
        {
            switch (type)
            {
                case ITypeParameterSymbol parameter:
                    for (var t = _root; t is not null; t = t.ContainingType)
                        if (SymbolEqualityComparer.Default.Equals(parameter.ContainingSymbol, t)) return null;
                    return parameter;
                case INamedTypeSymbol named:
                    foreach (var argument in named.TypeArguments)
                        if (ForeignTypeParameter(argument) is { } foreign) return foreign;
                    return named.ContainingType is null ? null : ForeignTypeParameter(named.ContainingType);
                case IArrayTypeSymbol array:
                    return ForeignTypeParameter(array.ElementType);
                default:
                    return null;
            }
        }

        /// <summary>The field types an option may have: bool, integers, float, double, string and enums.</summary>
        static bool IsOption(ITypeSymbol type) => type.TypeKind == TypeKind.Enum || type.SpecialType is SpecialType.System_Boolean
            or SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16
            or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64
            or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_String;

        static bool IsNumberOrEnum(ITypeSymbol? type) => type is not null && type.SpecialType != SpecialType.System_Boolean
            && type.SpecialType != SpecialType.System_String && IsOption(type);

        /// <summary>A built-in operator (string equality is a method of string, and as fixed).</summary>
        static bool BuiltIn(IMethodSymbol? method) => method is null || method.ContainingType.SpecialType == SpecialType.System_String;

        static bool IsNull(IOperation operation) => operation.ConstantValue is { HasValue: true, Value: null };

        static bool IsNullPattern(IPatternOperation pattern) => pattern switch
        {
            IConstantPatternOperation constant => IsNull(constant.Value),
            INegatedPatternOperation negated => IsNullPattern(negated.Pattern),
            _ => false,
        };

        string Culprit(IOperation operation) => operation switch
        {
            IInvocationOperation { Instance: { } instance } call when _types.IsTensor(instance.Type) => "a tensor's value (" + call.TargetMethod.Name + ")",
            _ when _types.IsTensor(operation.Type) => "a tensor's value",
            IInvocationOperation call => "the result of " + call.TargetMethod.ContainingType.Name + "." + call.TargetMethod.Name,
            ILocalReferenceOperation local => "the local " + local.Local.Name,
            IParameterReferenceOperation parameter => "the parameter " + parameter.Parameter.Name,
            _ => "an expression of kind " + operation.Kind,
        };

        static string? BinaryToken(BinaryOperatorKind kind) => kind switch
        {
            BinaryOperatorKind.Equals => "==",
            BinaryOperatorKind.NotEquals => "!=",
            BinaryOperatorKind.LessThan => "<",
            BinaryOperatorKind.LessThanOrEqual => "<=",
            BinaryOperatorKind.GreaterThan => ">",
            BinaryOperatorKind.GreaterThanOrEqual => ">=",
            BinaryOperatorKind.ConditionalAnd => "&&",
            BinaryOperatorKind.ConditionalOr => "||",
            BinaryOperatorKind.And => "&",
            BinaryOperatorKind.Or => "|",
            BinaryOperatorKind.ExclusiveOr => "^",
            BinaryOperatorKind.Add => "+",
            BinaryOperatorKind.Subtract => "-",
            BinaryOperatorKind.Multiply => "*",
            BinaryOperatorKind.Divide => "/",
            BinaryOperatorKind.Remainder => "%",
            _ => null,
        };

        static string? UnaryToken(UnaryOperatorKind kind) => kind switch
        {
            UnaryOperatorKind.Not => "!",
            UnaryOperatorKind.Minus => "-",
            UnaryOperatorKind.Plus => "+",
            UnaryOperatorKind.BitwiseNegation => "~",
            _ => null,
        };

        /// <summary>A constant as a C# literal of its own type (a float stays a float, an enum member is named).</summary>
        static string Literal(object? value, ITypeSymbol? type)
        {
            if (value is null) return "null";
            if (type is INamedTypeSymbol { TypeKind: TypeKind.Enum } enumType)
            {
                var member = enumType.GetMembers().OfType<IFieldSymbol>().FirstOrDefault(f => f.HasConstantValue && Equals(f.ConstantValue, value));
                return member is null
                    ? "((" + TypeName(enumType) + ")" + Convert.ToString(value, CultureInfo.InvariantCulture) + ")"
                    : TypeName(enumType) + "." + Escape(member.Name);
            }
            switch (value)
            {
                case bool b:
                    return b ? "true" : "false";
                case float f:
                    return FloatLiteral(f);
                case double d:
                    if (double.IsNaN(d)) return "double.NaN";
                    if (double.IsInfinity(d)) return d > 0 ? "double.PositiveInfinity" : "double.NegativeInfinity";
                    return d.ToString("R", CultureInfo.InvariantCulture) + "d";
                case string or char:
                    return SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false);
                case int or long or uint or ulong:
                    return Convert.ToString(value, CultureInfo.InvariantCulture) + value switch { long => "L", uint => "U", ulong => "UL", _ => "" };
                default:
                    // sbyte, byte, short, ushort: a cast keeps the operand's type.
                    return "((" + TypeName(type!) + ")" + Convert.ToString(value, CultureInfo.InvariantCulture) + ")";
            }
        }

        static readonly SymbolDisplayFormat QualifiedFormat =
            SymbolDisplayFormat.FullyQualifiedFormat.AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        static string TypeName(ITypeSymbol type) => type.ToDisplayString(QualifiedFormat);

        static string Escape(string identifier) =>
            SyntaxFacts.GetKeywordKind(identifier) != SyntaxKind.None ? "@" + identifier : identifier;

        /// <summary>What the paths of one capture share: the inlined children and the accessors their conditions read.</summary>
        sealed class Paths
        {
            public bool ReadsTraining { get; set; }

            public List<BranchChild> Children { get; } = new List<BranchChild>();

            public List<FieldAccessor> Accessors { get; } = new List<FieldAccessor>();

            public void Child(string path, ITypeSymbol type, bool followsMode)
            {
                int index = Children.FindIndex(c => c.Path == path);
                if (index < 0) Children.Add(new BranchChild(path, TypeName(type), followsMode));
                else if (followsMode && !Children[index].FollowsMode) Children[index] = Children[index] with { FollowsMode = true };
            }

            public void Accessor(FieldAccessor accessor)
            {
                if (!Accessors.Contains(accessor)) Accessors.Add(accessor);
            }
        }

        /// <summary>A condition part that is not known when the graph is bound (the message names it).</summary>
        sealed class NotBindTimeException : Exception
        {
            public NotBindTimeException(string message) : base(message) { }
        }

        /// <summary>A path that ends in a <c>throw</c> (or a switch expression no arm matches): it runs eagerly, which throws.</summary>
        sealed class PathThrowsException : Exception
        {
            public PathThrowsException(Location location, string message) : base(message) => Location = location;

            public Location Location { get; }
        }
    }
}
