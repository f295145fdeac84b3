using System.Linq;
using Microsoft.CodeAnalysis;

namespace ShapeSafe.Generators
{
    /// <summary>The engine's types the generator and its analyzer look for, resolved once per compilation.</summary>
    internal sealed class ModuleTypes
    {
        public const string ModuleAttributeName = "ShapeSafe.NN.ModuleAttribute";

        ModuleTypes(INamedTypeSymbol module, INamedTypeSymbol parameter, INamedTypeSymbol tensor, INamedTypeSymbol moduleAttribute,
            INamedTypeSymbol buffer, INamedTypeSymbol stateName, INamedTypeSymbol? readOnlyList, INamedTypeSymbol? enumerable)
        {
            Module = module;
            Parameter = parameter;
            Tensor = tensor;
            ModuleAttribute = moduleAttribute;
            BufferAttribute = buffer;
            StateNameAttribute = stateName;
            ReadOnlyList = readOnlyList;
            Enumerable = enumerable;
        }

        public INamedTypeSymbol Module { get; }
        public INamedTypeSymbol Parameter { get; }
        public INamedTypeSymbol Tensor { get; }
        public INamedTypeSymbol ModuleAttribute { get; }
        public INamedTypeSymbol BufferAttribute { get; }
        public INamedTypeSymbol StateNameAttribute { get; }
        public INamedTypeSymbol? ReadOnlyList { get; }
        public INamedTypeSymbol? Enumerable { get; }

        /// <summary>The types, or null when the compilation does not reference the engine (then there is nothing to do).</summary>
        public static ModuleTypes? TryCreate(Compilation compilation)
        {
            var module = compilation.GetTypeByMetadataName("ShapeSafe.NN.Module");
            var parameter = compilation.GetTypeByMetadataName("ShapeSafe.NN.Parameter");
            var tensor = compilation.GetTypeByMetadataName("ShapeSafe.Tensor");
            var attribute = compilation.GetTypeByMetadataName(ModuleAttributeName);
            var buffer = compilation.GetTypeByMetadataName("ShapeSafe.NN.BufferAttribute");
            var stateName = compilation.GetTypeByMetadataName("ShapeSafe.NN.StateNameAttribute");
            if (module is null || parameter is null || tensor is null || attribute is null || buffer is null || stateName is null) return null;
            return new ModuleTypes(module, parameter, tensor, attribute, buffer, stateName,
                compilation.GetTypeByMetadataName("System.Collections.Generic.IReadOnlyList`1"),
                compilation.GetTypeByMetadataName("System.Collections.Generic.IEnumerable`1"));
        }

        public bool IsModule(ITypeSymbol? type) => DerivesFrom(type, Module);

        public bool IsParameter(ITypeSymbol? type) => DerivesFrom(type, Parameter);

        public bool IsTensor(ITypeSymbol? type) => DerivesFrom(type, Tensor);

        public bool HasModuleAttribute(INamedTypeSymbol type) =>
            type.GetAttributes().Any(a => SymbolEqualityComparer.Default.Equals(a.AttributeClass, ModuleAttribute));

        static bool DerivesFrom(ITypeSymbol? type, INamedTypeSymbol baseType)
        {
            // A type parameter is what its constraints make it: TLayer where TLayer : Module is a module.
            if (type is ITypeParameterSymbol parameter) return parameter.ConstraintTypes.Any(c => DerivesFrom(c, baseType));
            for (var t = type; t is not null; t = t.BaseType)
            {
                if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, baseType)) return true;
            }
            return false;
        }
    }
}
