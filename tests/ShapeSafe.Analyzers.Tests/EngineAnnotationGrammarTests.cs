extern alias Analyzers;

using System.Reflection;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// Every <c>[Shape]</c> the engine declares parses under the analyzer's grammar (the analyzer's own copy of the core's
/// DimParser, which <c>ShapeAnnotation</c> reads them with). The analyzer reads a rejected annotation as absent and
/// says nothing about it, since the engine is metadata, not source: without this test such an annotation checks nothing.
/// </summary>
public class EngineAnnotationGrammarTests
{
    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static IEnumerable<(string Where, string Text)> EngineAnnotations()
    {
        var assembly = typeof(ShapeSafe.Tensor).Assembly;
        Type[] types;
        try { types = assembly.GetTypes(); }
        catch (ReflectionTypeLoadException e) { types = e.Types.Where(t => t is not null).ToArray()!; }
        foreach (var type in types)
        {
            foreach (var member in type.GetMembers(All))
            {
                foreach (var text in Annotations(member.CustomAttributes)) yield return ($"{type.FullName}.{member.Name}", text);
                if (member is MethodBase method)
                {
                    foreach (var p in method.GetParameters())
                        foreach (var text in Annotations(p.CustomAttributes)) yield return ($"{type.FullName}.{member.Name}({p.Name})", text);
                    if (method is MethodInfo info)
                        foreach (var text in Annotations(info.ReturnParameter.CustomAttributes)) yield return ($"{type.FullName}.{member.Name} (return)", text);
                }
            }
        }
    }

    static IEnumerable<string> Annotations(IEnumerable<CustomAttributeData> attributes) =>
        attributes.Where(a => a.AttributeType == typeof(ShapeSafe.ShapeAttribute) && a.ConstructorArguments.Count == 1 && a.ConstructorArguments[0].Value is string)
            .Select(a => (string)a.ConstructorArguments[0].Value!);

    [Fact]
    public void Every_engine_Shape_annotation_parses()
    {
        var annotations = EngineAnnotations().ToList();
        Assert.True(annotations.Count >= 40, $"found only {annotations.Count} engine annotations: the scan is broken");
        Assert.Contains(annotations, a => a.Text == "N, In, H, W");
        var rejected = annotations
            .Select(a => (a.Where, a.Text, Result: Analyzers::ShapeSafe.Shapes.DimParser.Parse(a.Text)))
            .Where(a => !a.Result.Success)
            .Select(a => $"{a.Where}: \"{a.Text}\": {a.Result.Error?.Message}")
            .ToList();
        Assert.Empty(rejected);
    }

    [Fact]
    public void The_grammar_rejects_an_ellipsis_after_the_first_dim()
    {
        // What the engine's annotations must avoid (SS0009's page): '...' stands only for leading dims.
        var result = Analyzers::ShapeSafe.Shapes.DimParser.Parse("N, C, ...");
        Assert.False(result.Success);
        Assert.Equal("'...' (any number of leading dims) is allowed only as the first dim", result.Error!.Message);
        Assert.True(Analyzers::ShapeSafe.Shapes.DimParser.Parse("..., C, _").Success);
    }
}
