using Microsoft.CodeAnalysis;

namespace ShapeSafe.Analyzers
{
    /// <summary>
    /// The engine types the analyzers read, resolved once per compilation by metadata name. When the compilation
    /// does not reference ShapeSafe (no <c>ShapeSafe.Tensor</c>), <see cref="TryCreate"/> returns null and the
    /// analyzers register nothing.
    /// </summary>
    internal sealed class EngineSymbols
    {
        EngineSymbols(INamedTypeSymbol tensor, INamedTypeSymbol? shapeAttribute, INamedTypeSymbol? dimAttribute,
            INamedTypeSymbol? contractAttribute, INamedTypeSymbol? module, INamedTypeSymbol? sequential, INamedTypeSymbol? stridedAttribute)
        {
            StridedAttribute = stridedAttribute;
            Tensor = tensor;
            ShapeAttribute = shapeAttribute;
            DimAttribute = dimAttribute;
            ShapeContractAttribute = contractAttribute;
            Module = module;
            Sequential = sequential;
        }

        public INamedTypeSymbol Tensor { get; }
        public INamedTypeSymbol? ShapeAttribute { get; }
        public INamedTypeSymbol? DimAttribute { get; }
        public INamedTypeSymbol? ShapeContractAttribute { get; }

        /// <summary><c>[Strided]</c>: a [Shape] parameter that may be a strided view (not taken to be contiguous).</summary>
        public INamedTypeSymbol? StridedAttribute { get; }
        public INamedTypeSymbol? Module { get; }
        public INamedTypeSymbol? Sequential { get; }

        public static EngineSymbols? TryCreate(Compilation compilation)
        {
            var tensor = compilation.GetTypeByMetadataName("ShapeSafe.Tensor");
            if (tensor is null) return null;
            return new EngineSymbols(
                tensor,
                compilation.GetTypeByMetadataName("ShapeSafe.ShapeAttribute"),
                compilation.GetTypeByMetadataName("ShapeSafe.DimAttribute"),
                compilation.GetTypeByMetadataName("ShapeSafe.ShapeContractAttribute"),
                compilation.GetTypeByMetadataName("ShapeSafe.NN.Module"),
                compilation.GetTypeByMetadataName("ShapeSafe.NN.Sequential"),
                compilation.GetTypeByMetadataName("ShapeSafe.StridedAttribute"));
        }

        /// <summary>Whether <paramref name="type"/> is Tensor or derives from it (Parameter).</summary>
        public bool IsTensor(ITypeSymbol? type)
        {
            for (var t = type; t is not null; t = t.BaseType)
                if (SymbolEqualityComparer.Default.Equals(t, Tensor)) return true;
            return false;
        }

        /// <summary>Whether <paramref name="type"/> derives from Module.</summary>
        public bool IsModule(ITypeSymbol? type)
        {
            if (Module is null) return false;
            for (var t = type; t is not null; t = t.BaseType)
                if (SymbolEqualityComparer.Default.Equals(t, Module)) return true;
            return false;
        }

        /// <summary>Whether <paramref name="type"/> is a sequence of tensors: <c>Tensor[]</c>, <c>IEnumerable&lt;Tensor&gt;</c>, lists.</summary>
        public bool IsTensorSequence(ITypeSymbol? type)
        {
            if (type is IArrayTypeSymbol array) return IsTensor(array.ElementType);
            if (type is INamedTypeSymbol { IsGenericType: true } named && named.TypeArguments.Length == 1)
                return IsTensor(named.TypeArguments[0]);
            return false;
        }

        /// <summary>Whether <paramref name="type"/> is a sequence of modules: <c>Module[]</c>, <c>List&lt;Linear&gt;</c>, <c>IReadOnlyList&lt;Block&gt;</c>.</summary>
        public bool IsModuleSequence(ITypeSymbol? type)
        {
            if (type is IArrayTypeSymbol array) return IsModule(array.ElementType);
            if (type is INamedTypeSymbol { IsGenericType: true } named && named.TypeArguments.Length == 1 && !IsModule(named))
                return IsModule(named.TypeArguments[0]);
            return false;
        }

        /// <summary>The string argument of <paramref name="attributeType"/> on <paramref name="attributes"/>, with the attribute.</summary>
        public static AttributeData? Find(System.Collections.Immutable.ImmutableArray<AttributeData> attributes, INamedTypeSymbol? attributeType)
        {
            if (attributeType is null) return null;
            foreach (var a in attributes)
                if (SymbolEqualityComparer.Default.Equals(a.AttributeClass, attributeType)) return a;
            return null;
        }

        /// <summary>The first constructor argument of an attribute as a string, when it is one.</summary>
        public static string? StringArgument(AttributeData? attribute) =>
            attribute is { ConstructorArguments.Length: > 0 } && attribute.ConstructorArguments[0].Value is string s ? s : null;
    }
}
