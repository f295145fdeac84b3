using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>A parsed <c>[Shape("...")]</c> on a parameter, field, property or return value. Malformed ones are SS0009 and read as absent.</summary>
    internal sealed class ShapeAnnotation
    {
        ShapeAnnotation(string text, ParsedShape parsed, AttributeData attribute)
        {
            Text = text;
            Parsed = parsed;
            Attribute = attribute;
        }

        public string Text { get; }
        public ParsedShape Parsed { get; }
        public AttributeData Attribute { get; }

        public IReadOnlyList<ShapeEntry> Entries => Parsed.Entries;

        public static ShapeAnnotation? From(ImmutableArray<AttributeData> attributes, EngineSymbols symbols)
        {
            var attribute = EngineSymbols.Find(attributes, symbols.ShapeAttribute);
            if (attribute is null) return null;
            // Each annotation is read at every call of its method: parse it once per attribute.
            return s_parsed.GetValue(attribute, a =>
            {
                var text = EngineSymbols.StringArgument(a);
                if (text is null) return new Box(null);
                var result = DimParser.Parse(text);
                return new Box(result.Shape is null ? null : new ShapeAnnotation(text, result.Shape, a));
            }).Annotation;
        }

        static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AttributeData, Box> s_parsed = new();

        sealed class Box
        {
            public Box(ShapeAnnotation? annotation) => Annotation = annotation;
            public ShapeAnnotation? Annotation { get; }
        }

        public string EntryText(ShapeEntry entry) => Text.Substring(entry.Position, entry.Length);

        /// <summary>The tensor the annotation declares, its names read in the current method's scope (<c>_</c> is a fresh unknown).</summary>
        public TensorValue ToValue() =>
            new(Entries.Select(e => e.Dim ?? Dim.Anonymous("_")).ToArray(), Parsed.HasEllipsis);

        /// <summary>Where the annotation's string is written (for the SS0007 fix), when it is in source.</summary>
        public Location? TextLocation
        {
            get
            {
                var syntax = Attribute.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax;
                var argument = syntax?.ArgumentList?.Arguments.FirstOrDefault();
                return argument?.Expression.GetLocation();
            }
        }
    }

    /// <summary>How a value failed to match an annotation.</summary>
    internal sealed class ShapeMismatch
    {
        public ShapeMismatch(string detail, string? layerDimName, bool conditional = false)
        {
            Detail = detail;
            LayerDimName = layerDimName;
            Conditional = conditional;
        }

        /// <summary>Whether the value would fit for special sizes of its names (H is 128): a generic mismatch.</summary>
        public bool Conditional { get; }

        /// <summary>e.g. <c>dim 1 is 512, expected 784 (In)</c>.</summary>
        public string Detail { get; }

        /// <summary>The module [Dim] name the mismatching entry uses (SS0008), or null (SS0007).</summary>
        public string? LayerDimName { get; }
    }

    /// <summary>
    /// The names of one call's callee, bound to the caller's dims: first from the module's <c>[Dim]</c>
    /// constructor arguments, then from the arguments' shapes in order (a name's first occurrence binds it,
    /// later ones are checked), and the dims a leading <c>...</c> stands for.
    /// </summary>
    internal sealed class CallBindings
    {
        readonly Dictionary<string, Dim> _names = new();
        readonly Dictionary<string, Dim> _fresh = new();

        public CallBindings(ModuleValue? module)
        {
            Module = module;
            if (module is null) return;
            foreach (var kv in module.Bindings) _names[kv.Key] = kv.Value.Dim;
        }

        public ModuleValue? Module { get; }

        /// <summary>The dims a <c>...</c> matched (null: not matched yet), and whether more unknown dims lead them.</summary>
        public Dim[]? Prefix { get; set; }
        public bool PrefixHasEllipsis { get; set; }

        public Dim? Lookup(string name) => _names.TryGetValue(name, out var d) ? d : null;

        public bool IsLayerDim(string name) => Module is { IsSelf: false } && Module.Bindings.ContainsKey(name);

        public void Bind(string name, Dim dim)
        {
            if (!_names.ContainsKey(name)) _names[name] = dim;
        }

        /// <summary>For a return annotation: a bound name's dim, else one fresh unknown per name (printed as the name).</summary>
        public Dim LookupOrFresh(string name)
        {
            if (_names.TryGetValue(name, out var d)) return d;
            if (!_fresh.TryGetValue(name, out d)) _fresh[name] = d = Dim.Anonymous(name);
            return d;
        }
    }

    internal static class ShapeMatcher
    {
        static readonly SymbolicDims D = default;

        /// <summary>
        /// Checks <paramref name="value"/> against <paramref name="annotation"/>: in the current method's own scope
        /// when <paramref name="bindings"/> is null (names mean themselves), else in a callee's scope (names bind).
        /// Returns the first provable mismatch, or null.
        /// </summary>
        public static ShapeMismatch? Match(TensorValue value, ShapeAnnotation annotation, CallBindings? bindings)
        {
            var entries = annotation.Entries;
            int v = value.Sizes.Length, p = entries.Count;
            bool valueEll = value.HasEllipsis, patternEll = annotation.Parsed.HasEllipsis;
            if (!valueEll && !patternEll && v != p)
                return new ShapeMismatch($"it has {v} dims, the declaration has {p}", null);
            if (!valueEll && patternEll && v < p)
                return new ShapeMismatch($"it has {v} dims, the declaration needs at least {p}", null);
            if (valueEll && !patternEll && v > p)
                return new ShapeMismatch($"it has at least {v} dims, the declaration has {p}", null);

            int pairs = System.Math.Min(v, p);
            if (bindings is not null && patternEll && bindings.Prefix is null)
            {
                if (v >= p)
                {
                    bindings.Prefix = value.Sizes.Take(v - p).ToArray();
                    bindings.PrefixHasEllipsis = valueEll;
                }
                else
                {
                    bindings.Prefix = new Dim[0];
                    bindings.PrefixHasEllipsis = true;
                }
            }

            if (bindings is not null)
            {
                for (int j = pairs - 1; j >= 0; j--)
                {
                    var entry = entries[p - 1 - j];
                    if (entry.Dim is not null && entry.Dim.TryGetName(out var name) && bindings.Lookup(name) is null)
                        bindings.Bind(name, value.Sizes[v - 1 - j]);
                }
            }

            for (int j = pairs - 1; j >= 0; j--)
            {
                var entry = entries[p - 1 - j];
                if (entry.Dim is null) continue;
                var expected = bindings is null ? entry.Dim : DimParser.Substitute(annotation.EntryText(entry), bindings.Lookup);
                if (expected is null) continue;
                var actual = value.Sizes[v - 1 - j];
                string? condition;
                using (var generic = GenericNames.Begin())
                {
                    // A name is any size the caller chooses: H against 128 fits only when H is 128, which is a mismatch.
                    if (D.Equal(actual, expected) != Truth.False) continue;
                    condition = generic.Condition;
                }

                int index = valueEll ? -(j + 1) : v - 1 - j;
                string? layerDim = bindings is null ? null : entry.Dim.Names.FirstOrDefault(bindings.IsLayerDim);
                string written = annotation.EntryText(entry);
                string expectedText = written == expected.ToString() ? written : $"{written} = {expected}";
                string needs = condition is null ? "" : $" (it fits only when {condition})";
                return new ShapeMismatch($"dim {index} is {actual}, expected {expectedText}{needs}", layerDim, condition is not null);
            }
            return null;
        }

        /// <summary>The value a callee's return annotation gives, with its names bound by the call.</summary>
        public static TensorValue Instantiate(ShapeAnnotation annotation, CallBindings bindings)
        {
            var sizes = new List<Dim>();
            bool ellipsis = false;
            if (annotation.Parsed.HasEllipsis)
            {
                if (bindings.Prefix is null) ellipsis = true;
                else
                {
                    sizes.AddRange(bindings.Prefix);
                    ellipsis = bindings.PrefixHasEllipsis;
                }
            }
            foreach (var entry in annotation.Entries)
            {
                sizes.Add(entry.Dim is null
                    ? Dim.Anonymous("_")
                    : DimParser.Substitute(annotation.EntryText(entry), bindings.LookupOrFresh) ?? Dim.Anonymous(annotation.EntryText(entry)));
            }
            return new TensorValue(sizes.ToArray(), ellipsis);
        }
    }
}
