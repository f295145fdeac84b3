extern alias Analyzers;

using System.Reflection;
using ShapeSafe.NN;
using AnalyzerInference = Analyzers::ShapeSafe.Analyzers.Inference;

namespace ShapeSafe.Analyzers.Tests;

/// <summary>
/// Every public Tensor method, F function and layer Forward of the engine that returns tensors is one the analyzer
/// infers through (a [ShapeContract] rule it implements, its own rule table, a [return: Shape] annotation, or a layer
/// it handles by type), apart from the exceptions listed here with their reasons. A new engine op without a rule the
/// analyzer knows fails this test instead of silently becoming an unknown shape.
/// </summary>
public class ContractCoverageTests
{
    /// <summary>Methods whose result the analyzer leaves unknown on purpose, each with why.</summary>
    static readonly Dictionary<string, string> s_exceptions = new(StringComparer.Ordinal)
    {
        ["ShapeSafe.Tensor.MaskedSelect(Tensor)"] = "the length is the number of true elements of the mask, known only from its values",
        ["ShapeSafe.Tensor.FromArray(Single[,])"] = "the shape is the array's lengths, which the analysis does not track through array values",
        ["ShapeSafe.Tensor.FromArray(Int64[,])"] = "the shape is the array's lengths, which the analysis does not track through array values",
    };

    /// <summary>Layers the analyzer resolves by their type rather than by a rule on Forward.</summary>
    static readonly HashSet<string> s_byType = new(StringComparer.Ordinal)
    {
        "ShapeSafe.NN.LSTM.Forward", "ShapeSafe.NN.GRU.Forward", "ShapeSafe.NN.RNN.Forward", "ShapeSafe.NN.MultiheadAttention.Forward", // their tuple rules
        "ShapeSafe.NN.Sequential.Forward", // each child's Forward in turn
        "ShapeSafe.Tensor.op_Implicit", // float → Tensor: the conversion itself is a scalar
    };

    static bool ReturnsTensors(Type type) =>
        type == typeof(Tensor) || type.IsSubclassOf(typeof(Tensor))
        || (type.IsGenericType && type.FullName!.StartsWith("System.ValueTuple", StringComparison.Ordinal) && type.GetGenericArguments().Any(ReturnsTensors))
        || (Nullable.GetUnderlyingType(type) is { } inner && ReturnsTensors(inner));

    static IEnumerable<MethodInfo> EngineMethods()
    {
        var assembly = typeof(Tensor).Assembly;
        const BindingFlags flags = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var m in typeof(Tensor).GetMethods(flags).Concat(typeof(F).GetMethods(flags)))
            if (!m.IsSpecialName || m.Name.StartsWith("op_", StringComparison.Ordinal))
                yield return m;
        foreach (var type in assembly.GetExportedTypes())
        {
            if (type.IsAbstract || !type.IsSubclassOf(typeof(ShapeSafe.NN.Module))) continue;
            foreach (var m in type.GetMethods(BindingFlags.Public | BindingFlags.Instance))
                if (m.Name == "Forward" && m.DeclaringType == type) yield return m;
        }
    }

    static string Name(MethodInfo m) => m.DeclaringType!.Namespace + "." + m.DeclaringType.Name + "." + m.Name;

    static string Signature(MethodInfo m) => Name(m) + "(" + string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name)) + ")";

    /// <summary>How the analyzer infers through <paramref name="m"/>: a rule name, "annotation", "type", or null (unknown).</summary>
    static string? HowKnown(MethodInfo m)
    {
        var declared = m.GetCustomAttribute<ShapeContractAttribute>()?.Rule;
        var rule = AnalyzerInference.BuiltInContracts.Effective(Name(m), declared);
        // ShapeArgument reads the parameter named shape; an overload without one is not covered by it.
        if (rule == "ShapeArgument" && !m.GetParameters().Any(p => p.Name == "shape")) return null;
        if (rule is not null) return AnalyzerInference.ContractRules.IsKnown(rule) ? rule : null;
        if (m.ReturnParameter.GetCustomAttribute<ShapeAttribute>() is not null) return "annotation";
        return s_byType.Contains(Name(m)) ? "type" : null;
    }

    [Fact]
    public void Every_engine_op_that_returns_tensors_has_a_rule_the_analyzer_knows()
    {
        var methods = EngineMethods().Where(m => ReturnsTensors(m.ReturnType)).ToList();
        Assert.True(methods.Count > 150, $"{methods.Count} engine methods found");
        var unknown = methods.Where(m => HowKnown(m) is null && !s_exceptions.ContainsKey(Signature(m)))
            .Select(Signature)
            .Distinct().OrderBy(n => n, StringComparer.Ordinal).ToList();
        Assert.True(unknown.Count == 0, "unknown to the analyzer:\n" + string.Join("\n", unknown));
    }

    [Fact]
    public void Every_exception_is_still_an_engine_method_the_analyzer_does_not_know()
    {
        var methods = EngineMethods().ToDictionary(Signature);
        foreach (var signature in s_exceptions.Keys)
        {
            Assert.True(methods.TryGetValue(signature, out var m), $"{signature} is listed as an exception but is no engine method");
            Assert.True(ReturnsTensors(m!.ReturnType) && HowKnown(m) is null, $"{signature} is listed as an exception but the analyzer knows it");
        }
    }
}
