namespace ShapeSafe.Shapes.Tests.Rules;

/// <summary>Asserts that a rule refuses its inputs with a message naming what API.md requires.</summary>
internal static class RuleAssert
{
    /// <summary>
    /// The call throws a <see cref="ShapeException"/> for <paramref name="operation"/> whose message starts with the
    /// operation's name and contains every one of <paramref name="parts"/> (shapes, the dim, the sizes).
    /// </summary>
    public static ShapeException Refuses(string operation, Action call, params string[] parts)
    {
        var e = Assert.Throws<ShapeException>(call);
        Assert.Equal(operation, e.Operation);
        Assert.StartsWith(operation + ": ", e.Message);
        foreach (var part in parts) Assert.Contains(part, e.Message);
        return e;
    }
}
