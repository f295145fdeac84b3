namespace ShapeSafe;

// The indexers are named "At" in metadata because Item() is the PyTorch method for reading a scalar.

/// <summary>One position in a tensor index: a single index (drops the dim) or a range (keeps it, as a slice).</summary>
public readonly struct TensorIndex
{
    readonly Index _index;
    readonly Range _range;

    TensorIndex(Index index, Range range, bool isRange)
    {
        _index = index;
        _range = range;
        IsRange = isRange;
    }

    /// <summary>True for a slice such as <c>2..</c>.</summary>
    public bool IsRange { get; }

    /// <summary>A single index such as <c>1</c> or <c>^1</c>.</summary>
    public static implicit operator TensorIndex(int index) => new(index >= 0 ? new Index(index) : new Index(-index, fromEnd: true), default, false);

    /// <summary>A single index counted from either end.</summary>
    public static implicit operator TensorIndex(Index index) => new(index, default, false);

    /// <summary>A slice such as <c>2..</c>, <c>..3</c> or <c>..</c>.</summary>
    public static implicit operator TensorIndex(Range range) => new(default, range, true);

    internal Tensor ApplyTo(Tensor t, int dim)
    {
        if (!IsRange)
        {
            int size = t.Rank > dim ? t.Size(dim) : 0;
            int i = _index.IsFromEnd ? -_index.Value : _index.Value;
            if (_index.IsFromEnd && _index.Value == 0) i = size;
            return t.Select(dim, i);
        }
        if (t.Rank <= dim)
            throw new ShapeException("Index", $"too many indices for tensor of shape {Rules.Format(t.Sizes)}");
        // Python's slice semantics, as Slice has them: bounds past either end clamp, and an end before the start gives an empty view.
        int length = t.Size(dim);
        long start = Math.Clamp(_range.Start.IsFromEnd ? (long)length - _range.Start.Value : _range.Start.Value, 0, length);
        long end = Math.Clamp(_range.End.IsFromEnd ? (long)length - _range.End.Value : _range.End.Value, start, length);
        return t.Slice(dim, (int)start, (int)end);
    }
}

public partial class Tensor
{
    /// <summary>
    /// The check every op that reads entries by index makes (IndexSelect, Embedding), as PyTorch's: each index lies in
    /// [0, <paramref name="size"/>). Negative indices are refused, not counted from the end.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">An index is outside [0, size).</exception>
    internal static void CheckIndices(string op, ReadOnlySpan<long> indices, int size, string paramName, Func<string> context)
    {
        for (int i = 0; i < indices.Length; i++)
        {
            if ((ulong)indices[i] >= (ulong)size)
                throw new ArgumentOutOfRangeException(paramName, indices[i], $"{op}: index {indices[i]} is out of range in self: expected an index in [0, {size}) ({context()})");
        }
    }

    /// <summary><c>t[i]</c>: the slice at index <paramref name="index"/> of dim 0, without that dim (a view). Setting copies into it.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[int index]
    {
        get => Select(0, index);
        set => Select(0, index).CopyFrom(value);
    }

    /// <summary><c>t[2..]</c>: a slice of dim 0 (a view). Setting copies into it.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[Range range]
    {
        get => ((TensorIndex)range).ApplyTo(this, 0);
        set => ((TensorIndex)range).ApplyTo(this, 0).CopyFrom(value);
    }

    /// <summary><c>t[1, ..]</c>, <c>t[.., 0]</c>, <c>t[1, 2]</c>: one entry per leading dim; ranges keep the dim, indices drop it.</summary>
    [System.Runtime.CompilerServices.IndexerName("At")]
    public Tensor this[params TensorIndex[] indices]
    {
        get => Index(indices);
        set => Index(indices).CopyFrom(value);
    }

    Tensor Index(TensorIndex[] indices)
    {
        if (indices.Length > Rank)
            throw new ShapeException("Index", $"too many indices ({indices.Length}) for tensor of shape {Rules.Format(Sizes)}");
        var t = this;
        int dim = 0;
        foreach (var index in indices)
        {
            t = index.ApplyTo(t, dim);
            if (index.IsRange) dim++;
        }
        return t;
    }
}
