using ShapeSafe.Shapes;

namespace ShapeSafe.Shapes.Tests.Dims;

public class GenericNamesTests
{
    static readonly SymbolicDims S = default;
    static Dim P(string text) => Dim.Parse(text);

    [Fact]
    public void Inside_a_scope_equalities_that_hold_only_for_special_sizes_are_false_and_recorded()
    {
        using var scope = GenericNames.Begin();
        Assert.Equal(Truth.False, S.Equal(P("T"), P("1")));
        Assert.Equal(Truth.False, S.Equal(P("128"), P("H")));
        Assert.Equal(Truth.True, S.Equal(P("B*T"), P("T*B")));
        Assert.Equal(Truth.True, S.Less(P("1"), P("T")));    // T >= 1 always: fails only when T is 1
        Assert.Equal("T is 1 or H is 128", scope.Condition);
    }

    [Fact]
    public void Outside_a_scope_and_for_anonymous_sizes_the_answers_stay_unknown()
    {
        Assert.Equal(Truth.Unknown, S.Equal(P("T"), P("1")));
        using var scope = GenericNames.Begin();
        Assert.Equal(Truth.Unknown, S.Equal(Dim.Anonymous(), P("1")));
        Assert.Null(scope.Condition);
    }

    [Fact]
    public void Replace_substitutes_a_name_everywhere()
    {
        Assert.Equal(P("B + 1"), P("B*T + T").Replace("T", Dim.One));
        Assert.Equal(P("D*D"), P("E*D").Replace("E", P("D")));
        Assert.Equal(P("B"), P("B").Replace("T", Dim.One));
    }
}
