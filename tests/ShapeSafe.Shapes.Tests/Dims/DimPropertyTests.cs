using CsCheck;
using ShapeSafe.Shapes;

namespace ShapeSafe.Shapes.Tests.Dims;

/// <summary>
/// Random expression trees over a few names, evaluated directly and through the normal form, with
/// random assignments of the names to integers ≥ 1. Direct evaluation is the specification: an exact
/// quotient that is not exact makes the expression undefined, so those samples say nothing.
/// </summary>
public class DimPropertyTests
{
    const long Iterations = 10_000; // about a second per property on two cores
    static readonly SymbolicDims S = default;
    static readonly string[] Names = { "A", "B", "C" };

    static readonly Gen<Dictionary<string, long>> Assignment =
        Gen.Select(Gen.Long[1, 7], Gen.Long[1, 7], Gen.Long[1, 7])
           .Select((a, b, c) => new Dictionary<string, long> { ["A"] = a, ["B"] = b, ["C"] = c });

    static Gen<Expr> Exprs(int maxDepth, bool floors = true)
    {
        var ops = floors ? new[] { "+", "-", "*", "/", "//" } : new[] { "+", "-", "*", "/" };
        var leaf = Gen.OneOf<Expr>(
            Gen.Long[0, 6].Select(v => (Expr)new Constant(v)),
            Gen.OneOfConst(Names).Select(n => (Expr)new Name(n)));
        return Gen.Recursive<Expr>((depth, self) => depth >= maxDepth
            ? leaf
            : Gen.Frequency<Expr>(
                (2, leaf),
                (3, Gen.Select(Gen.OneOfConst(ops), self, self).Select((op, l, r) => (Expr)new Binary(op, l, r)))));
    }

    [Fact]
    public void NormalFormEvaluatesLikeTheExpression() =>
        Gen.Select(Exprs(4), Assignment).Sample((e, env) =>
        {
            if (e.ToDim() is not { } dim) return;
            if (e.Evaluate(env) is not { } expected) return;
            Assert.Equal(expected, dim.Substitute(env));
        }, iter: Iterations, print: t => $"{t.Item1} with {Show(t.Item2)}");

    // Without floors: a floor quotient's normal form depends on which quotients were stated, and the
    // printed text may state them differently (1/(2*B) - C/(4*B) instead of (2 - C)/(4*B)).
    [Fact]
    public void PrintedFormParsesBack() =>
        Exprs(4, floors: false).Sample(e =>
        {
            if (e.ToDim() is not { } dim) return;
            if (dim.Names.Count == 0 && !dim.IsConstant) return; // a fraction like 11/5: contradictory quotients, no size
            Assert.Equal(dim, Dim.Parse(dim.ToString()));
        }, iter: Iterations, print: e => e.ToString()!);

    [Fact]
    public void EqualNormalFormsHaveEqualValues()
    {
        int equalPairs = 0;
        Gen.Select(Exprs(2), Exprs(2), Assignment).Sample((x, y, env) =>
        {
            if (x.ToDim() is not { } a || y.ToDim() is not { } b || !a.Equals(b)) return;
            Interlocked.Increment(ref equalPairs);
            Assert.Equal(a.GetHashCode(), b.GetHashCode());
            if (x.Evaluate(env) is { } vx && y.Evaluate(env) is { } vy) Assert.Equal(vx, vy);
        }, iter: Iterations, print: t => $"{t.Item1} vs {t.Item2} with {Show(t.Item3)}");
        Assert.True(equalPairs > 50, $"only {equalPairs} equal pairs were generated");
    }

    [Fact]
    public void DecidedAnswersHoldForEveryAssignment() =>
        Gen.Select(Exprs(3), Exprs(3), Assignment).Sample((x, y, env) =>
        {
            if (x.ToDim() is not { } a || y.ToDim() is not { } b) return;
            if (x.Evaluate(env) is not { } va || y.Evaluate(env) is not { } vb) return;

            var equal = S.Equal(a, b);
            if (equal == Truth.True) Assert.Equal(va, vb);
            bool namingPolicy = a.TryGetName(out _) && b.TryGetName(out _);
            if (equal == Truth.False && !namingPolicy) Assert.NotEqual(va, vb);

            var less = S.Less(a, b);
            if (less == Truth.True) Assert.True(va < vb, $"Less said {a} < {b}");
            if (less == Truth.False) Assert.True(va >= vb, $"Less said {a} >= {b}");

            var divides = S.TryDivideExact(a, b, out var q);
            if (divides == Truth.True)
            {
                Assert.True(vb != 0 && va % vb == 0, $"TryDivideExact said {b} divides {a}");
                Assert.Equal(va / vb, q.Substitute(env));
            }
            if (divides == Truth.False) Assert.True(vb == 0 || va % vb != 0, $"TryDivideExact said {b} does not divide {a}");

            if (vb != 0 && !b.IsZero) Assert.Equal(va / vb, S.FloorDivide(a, b).Substitute(env));
        }, iter: Iterations, print: t => $"{t.Item1} vs {t.Item2} with {Show(t.Item3)}");

    [Fact]
    public void NamingPolicyIsTheOnlyUnsoundAnswer()
    {
        // Two different names are reported not equal although B = T is possible: API.md's policy.
        Assert.Equal(Truth.False, S.Equal(Dim.Named("B"), Dim.Named("T")));
        Assert.Equal(Dim.Of(3).Substitute(new Dictionary<string, long>()), Dim.Named("T").Substitute(new Dictionary<string, long> { ["T"] = 3 }));
    }

    static string Show(Dictionary<string, long> env) => string.Join(", ", env.Select(kv => kv.Key + "=" + kv.Value));

    abstract class Expr
    {
        /// <summary>The normal form; null when building it refuses (a constant division that is inexact or by 0).</summary>
        public abstract Dim? ToDim();

        /// <summary>Direct evaluation; null when an exact quotient is inexact or a divisor is 0.</summary>
        public abstract long? Evaluate(Dictionary<string, long> env);
    }

    sealed class Constant(long value) : Expr
    {
        public override Dim? ToDim() => Dim.Of(value);
        public override long? Evaluate(Dictionary<string, long> env) => value;
        public override string ToString() => value.ToString();
    }

    sealed class Name(string name) : Expr
    {
        public override Dim? ToDim() => Dim.Named(name);
        public override long? Evaluate(Dictionary<string, long> env) => env[name];
        public override string ToString() => name;
    }

    sealed class Binary(string op, Expr left, Expr right) : Expr
    {
        public override Dim? ToDim()
        {
            if (left.ToDim() is not { } a || right.ToDim() is not { } b) return null;
            if ((op == "/" || op == "//") && b.IsZero) return null;
            try
            {
                return op switch
                {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    "/" => a / b,
                    _ => Dim.FloorDivide(a, b),
                };
            }
            catch (ArithmeticException) // an inexact quotient of two constants
            {
                return null;
            }
        }

        public override long? Evaluate(Dictionary<string, long> env)
        {
            if (left.Evaluate(env) is not { } a || right.Evaluate(env) is not { } b) return null;
            return op switch
            {
                "+" => a + b,
                "-" => a - b,
                "*" => a * b,
                "/" => b != 0 && a % b == 0 ? a / b : null,
                _ => b != 0 ? a / b : null,
            };
        }

        public override string ToString() => "(" + left + " " + op + " " + right + ")";
    }
}
