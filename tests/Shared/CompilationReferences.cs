using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace ShapeSafe.TestSupport;

/// <summary>
/// What test sources compile against: the running .NET's own assemblies (no reference-pack download) and the
/// engine. Linked into each test project that compiles C# with Roslyn.
/// </summary>
internal static class CompilationReferences
{
    static readonly Lazy<ImmutableArray<MetadataReference>> s_all = new(() =>
    {
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var runtime = paths.Where(p => Path.GetFileName(p) is var f && (f.StartsWith("System.", StringComparison.Ordinal) || f is "mscorlib.dll" or "netstandard.dll"));
        return runtime.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))
            .Append(MetadataReference.CreateFromFile(typeof(Tensor).Assembly.Location))
            .ToImmutableArray();
    });

    public static ImmutableArray<MetadataReference> All => s_all.Value;
}
