using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using ShapeSafe.Shapes;

namespace ShapeSafe.Analyzers.Inference
{
    /// <summary>
    /// What the inference knows about one C# value: a tensor's shape (and layout), an int as a symbolic dim,
    /// a list of tensors, a module's configuration. An unknown value is simply absent (null).
    /// </summary>
    internal abstract class Value : IEquatable<Value>
    {
        public abstract bool Equals(Value? other);
        public override bool Equals(object? obj) => obj is Value v && Equals(v);
        public abstract override int GetHashCode();

        /// <summary>The least value both flows agree on: the value itself when equal, a weaker one, or null (unknown).</summary>
        public virtual Value? Join(Value other) => Equals(other) ? this : null;
    }

    /// <summary>
    /// A tensor: its sizes (after <see cref="HasEllipsis"/> unknown leading dims, when the shape came from a
    /// <c>..., D</c> annotation) and, when known, the strides and offset of its layout (for SS0001).
    /// </summary>
    internal sealed class TensorValue : Value
    {
        public TensorValue(Dim[] sizes, bool hasEllipsis = false, Dim[]? strides = null, Dim? offset = null)
        {
            Sizes = sizes;
            HasEllipsis = hasEllipsis;
            Strides = hasEllipsis ? null : strides;
            Offset = Strides is null ? null : offset ?? Dim.Zero;
        }

        public Dim[] Sizes { get; }
        public bool HasEllipsis { get; }
        public Dim[]? Strides { get; }
        public Dim? Offset { get; }

        /// <summary>The call that made the layout strided (<c>Transpose(1, 2)</c>), for SS0001's message; not part of equality.</summary>
        public string? Origin { get; private set; }

        /// <summary>The same value, remembering <paramref name="origin"/> as the call that made its layout.</summary>
        public TensorValue WithOrigin(string? origin)
        {
            if (origin is null || !HasLayout) return this;
            var copy = new TensorValue(Sizes, HasEllipsis, Strides, Offset) { Origin = origin };
            return copy;
        }

        /// <summary>Whether every dim is known (no leading ellipsis): the rules need that.</summary>
        public bool IsFullRank => !HasEllipsis;

        public bool HasLayout => Strides is not null;

        public Layout<Dim> Layout => new(Sizes, Strides!, Offset!);

        public static TensorValue Contiguous(Dim[] sizes) =>
            new(sizes, false, ShapeRules<Dim, SymbolicDims>.ContiguousStrides(sizes), Dim.Zero);

        public static TensorValue FromLayout(Layout<Dim> layout) => new(layout.Sizes, false, layout.Strides, layout.Offset);

        /// <summary>The same sizes without layout information.</summary>
        public TensorValue WithoutLayout() => HasLayout ? new TensorValue(Sizes, HasEllipsis) : this;

        /// <summary>Whether the layout is provably contiguous.</summary>
        public bool IsProvablyContiguous =>
            HasLayout && ShapeRules<Dim, SymbolicDims>.IsContiguous(Sizes, Strides!) == Truth.True;

        public string FormatShape() => Format(Sizes, HasEllipsis);

        public static string Format(IReadOnlyList<Dim> sizes, bool hasEllipsis)
        {
            var parts = sizes.Select(d => d.ToString());
            if (hasEllipsis) parts = new[] { "..." }.Concat(parts);
            return "[" + string.Join(", ", parts) + "]";
        }

        public override bool Equals(Value? other) =>
            other is TensorValue t && t.HasEllipsis == HasEllipsis && Same(t.Sizes, Sizes)
            && (t.Strides is null ? Strides is null : Strides is not null && Same(t.Strides, Strides) && t.Offset == Offset);

        public override Value? Join(Value other)
        {
            if (Equals(other)) return this;
            // Equal shapes with different layouts still agree on the shape.
            return other is TensorValue t && t.HasEllipsis == HasEllipsis && Same(t.Sizes, Sizes) ? WithoutLayout() : null;
        }

        public override int GetHashCode()
        {
            int h = HasEllipsis ? 17 : 3;
            foreach (var d in Sizes) h = unchecked(h * 31 + d.GetHashCode());
            return h;
        }

        public override string ToString() => FormatShape();

        internal static bool Same(Dim[] a, Dim[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
                if (!a[i].Equals(b[i])) return false;
            return true;
        }
    }

    /// <summary>An integer (a size, a dim index): a constant or a symbolic dim such as the result of <c>x.Size(0)</c>.</summary>
    internal sealed class IntValue : Value
    {
        public IntValue(Dim dim) => Dim = dim;

        /// <summary>The value of the int literal <paramref name="value"/>: one shared instance per small constant (values are immutable).</summary>
        public static IntValue Of(int value)
        {
            if (value < 0 || value >= s_small.Length) return new IntValue(Dim.Of(value));
            return s_small[value] ??= new IntValue(Dim.Of(value));
        }

        static readonly IntValue?[] s_small = new IntValue?[4097];

        public Dim Dim { get; }

        public bool TryGetConstant(out int value)
        {
            value = 0;
            if (!Dim.TryGetConstant(out long v) || v < int.MinValue || v > int.MaxValue) return false;
            value = (int)v;
            return true;
        }

        public override bool Equals(Value? other) => other is IntValue i && i.Dim.Equals(Dim);
        public override int GetHashCode() => Dim.GetHashCode();
        public override string ToString() => Dim.ToString();
    }

    /// <summary>A fixed-length sequence of values: <c>new[] { a, b }</c>, a collection expression, the result of <c>Split</c> or a tuple.</summary>
    internal sealed class SequenceValue : Value
    {
        public SequenceValue(ImmutableArray<Value?> elements) => Elements = elements;

        public ImmutableArray<Value?> Elements { get; }

        public override bool Equals(Value? other) =>
            other is SequenceValue s && s.Elements.Length == Elements.Length
            && s.Elements.Zip(Elements, (x, y) => x is null ? y is null : y is not null && x.Equals(y)).All(b => b);

        public override int GetHashCode() => Elements.Length;
    }

    /// <summary>
    /// An instance of a positional record (<c>record Pair(Tensor A, Tensor B)</c>) built with <c>new</c>: the value given
    /// for each primary-constructor parameter, which its property of the same name gives back.
    /// </summary>
    internal sealed class RecordValue : Value
    {
        public RecordValue(INamedTypeSymbol type, ImmutableDictionary<string, Value> members)
        {
            Type = type;
            Members = members;
        }

        public INamedTypeSymbol Type { get; }
        public ImmutableDictionary<string, Value> Members { get; }

        public override bool Equals(Value? other)
        {
            if (other is not RecordValue r || !SymbolEqualityComparer.Default.Equals(r.Type, Type) || r.Members.Count != Members.Count) return false;
            foreach (var kv in Members)
                if (!r.Members.TryGetValue(kv.Key, out var v) || !v.Equals(kv.Value)) return false;
            return true;
        }

        public override int GetHashCode() => SymbolEqualityComparer.Default.GetHashCode(Type);
    }

    /// <summary>A string constant (an einsum equation).</summary>
    internal sealed class StringValue : Value
    {
        public StringValue(string text) => Text = text;
        public string Text { get; }
        public override bool Equals(Value? other) => other is StringValue s && s.Text == Text;
        public override int GetHashCode() => Text.GetHashCode();
    }

    /// <summary>A floating-point constant (a scale factor).</summary>
    internal sealed class DoubleValue : Value
    {
        public DoubleValue(double number) => Number = number;
        public double Number { get; }
        public override bool Equals(Value? other) => other is DoubleValue d && d.Number.Equals(Number);
        public override int GetHashCode() => Number.GetHashCode();
    }

    /// <summary>The constant <c>null</c> (an omitted optional argument such as a pooling stride).</summary>
    internal sealed class NullValue : Value
    {
        public static readonly NullValue Instance = new();
        public override bool Equals(Value? other) => other is NullValue;
        public override int GetHashCode() => 7;
    }

    /// <summary>An argument that was given but whose value is unknown (kept so that a rule does not take its default instead).</summary>
    internal sealed class UnknownValue : Value
    {
        public static readonly UnknownValue Instance = new();
        public override bool Equals(Value? other) => other is UnknownValue;
        public override int GetHashCode() => 11;
    }

    /// <summary>A bool constant (keepDim).</summary>
    internal sealed class BoolValue : Value
    {
        public static readonly BoolValue True = new(true), False = new(false);
        BoolValue(bool value) => BoolConstant = value;
        public bool BoolConstant { get; }
        public override bool Equals(Value? other) => other is BoolValue b && b.BoolConstant == BoolConstant;
        public override int GetHashCode() => BoolConstant ? 1 : 0;
    }

    /// <summary>
    /// A module instance whose configuration is known: its type, and for each <c>[Dim("Name")]</c> constructor
    /// parameter the argument given where it was created (with that argument's location, for the SS0008 fix),
    /// and every constructor argument by parameter name (what a layer's <c>[ShapeContract]</c> rule reads:
    /// kernel size, stride, padding). A <c>Sequential</c> or <c>ModuleList</c> also knows its children: each
    /// one in order, or only that every child is alike (<see cref="UniformChild"/>, a list built by a loop or LINQ).
    /// </summary>
    internal sealed class ModuleValue : Value
    {
        public ModuleValue(INamedTypeSymbol type, ImmutableDictionary<string, DimBinding> bindings, ImmutableArray<ModuleValue?> children = default,
            bool isSelf = false, ImmutableDictionary<string, Value>? arguments = null, ModuleValue? uniformChild = null)
        {
            Type = type;
            Bindings = bindings;
            Children = children;
            IsSelf = isSelf;
            Arguments = arguments ?? ImmutableDictionary<string, Value>.Empty;
            UniformChild = children.IsDefault ? uniformChild : null;
        }

        /// <summary>Whether this is <c>this</c> inside the module's own class: its [Dim] names mean themselves.</summary>
        public bool IsSelf { get; }

        public INamedTypeSymbol Type { get; }
        public ImmutableDictionary<string, DimBinding> Bindings { get; }
        public ImmutableArray<ModuleValue?> Children { get; }
        public ImmutableDictionary<string, Value> Arguments { get; }

        /// <summary>Every child is this module (their number unknown).</summary>
        public ModuleValue? UniformChild { get; }

        /// <summary>The children as a sequence value (for <c>foreach</c> and indexing), or null when unknown.</summary>
        public Value? Items =>
            !Children.IsDefault ? new SequenceValue(Children.Select(c => (Value?)c).ToImmutableArray())
            : UniformChild is not null ? new UniformSequenceValue(UniformChild) : null;

        public override bool Equals(Value? other)
        {
            if (other is not ModuleValue m || !SymbolEqualityComparer.Default.Equals(m.Type, Type) || m.Bindings.Count != Bindings.Count
                || m.Arguments.Count != Arguments.Count || m.IsSelf != IsSelf)
                return false;
            foreach (var kv in Bindings)
                if (!m.Bindings.TryGetValue(kv.Key, out var b) || !b.Dim.Equals(kv.Value.Dim)) return false;
            foreach (var kv in Arguments)
                if (!m.Arguments.TryGetValue(kv.Key, out var a) || !a.Equals(kv.Value)) return false;
            if (Children.IsDefault != m.Children.IsDefault) return false;
            if (!Children.IsDefault)
            {
                if (Children.Length != m.Children.Length) return false;
                for (int i = 0; i < Children.Length; i++)
                    if (!(Children[i] is null ? m.Children[i] is null : m.Children[i] is not null && Children[i]!.Equals(m.Children[i]))) return false;
            }
            return UniformChild is null ? m.UniformChild is null : m.UniformChild is not null && UniformChild.Equals(m.UniformChild);
        }

        public override int GetHashCode() => SymbolEqualityComparer.Default.GetHashCode(Type);
    }

    /// <summary>A sequence of unknown length whose elements are all <see cref="Element"/> (<c>Enumerable.Range(0, n).Select(_ =&gt; new Block(d))</c>).</summary>
    internal sealed class UniformSequenceValue : Value
    {
        public UniformSequenceValue(Value element) => Element = element;
        public Value Element { get; }
        public override bool Equals(Value? other) => other is UniformSequenceValue u && u.Element.Equals(Element);
        public override int GetHashCode() => Element.GetHashCode() * 5;
    }

    /// <summary>
    /// The enumerator a <c>foreach</c> loop runs over a known sequence: before element <see cref="Index"/> + 1. The
    /// flow analysis keeps the loop's iterations apart by this index, so a list of different layers is checked
    /// layer by layer. Over a uniform sequence every element is the same and only the first iteration is kept
    /// apart from the rest (its input is the loop's input, so what fails there fails for certain).
    /// </summary>
    internal sealed class EnumeratorValue : Value
    {
        public EnumeratorValue(ImmutableArray<Value?> elements, int index)
        {
            Elements = elements;
            Index = index;
        }

        /// <summary>Over a uniform sequence: <paramref name="index"/> is -1 before the loop, 0 in its first iteration, 1 in any later one.</summary>
        public EnumeratorValue(Value uniform, int index = -1)
        {
            Uniform = uniform;
            Index = index;
        }

        public ImmutableArray<Value?> Elements { get; }
        public Value? Uniform { get; }
        public int Index { get; }

        /// <summary>Whether the iteration count is known (a sequence of known length).</summary>
        public bool IsCounted => Uniform is null;

        public Value? Current => Uniform ?? (Index >= 0 && Index < Elements.Length ? Elements[Index] : null);

        public override bool Equals(Value? other) =>
            other is EnumeratorValue e && e.Index == Index
            && (Uniform is null ? e.Uniform is null && new SequenceValue(Elements).Equals(new SequenceValue(e.Elements)) : Uniform.Equals(e.Uniform));

        public override int GetHashCode() => Index;
    }

    /// <summary>A dim name bound by a module's constructor argument, and where that argument is written (null when not in source).</summary>
    internal readonly struct DimBinding
    {
        public DimBinding(Dim dim, Location? argumentLocation)
        {
            Dim = dim;
            ArgumentLocation = argumentLocation;
        }

        public Dim Dim { get; }
        public Location? ArgumentLocation { get; }
    }
}
