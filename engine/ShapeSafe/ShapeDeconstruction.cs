using ShapeSafe.Shapes;

namespace ShapeSafe;

/// <summary>
/// <c>var (b, t, c) = x.Shape;</c>, as Python's <c>b, t, c = x.shape</c>: a shape unpacks into as many sizes as it
/// has dims. Any other count throws a <see cref="ShapeException"/> with Python's unpacking message and the shape.
/// </summary>
public static class ShapeDeconstruction
{
    /// <summary>Unpacks a 2-D shape.</summary>
    public static void Deconstruct(this IReadOnlyList<int> shape, out int d0, out int d1)
    {
        Require(shape, 2);
        (d0, d1) = (shape[0], shape[1]);
    }

    /// <summary>Unpacks a 3-D shape.</summary>
    public static void Deconstruct(this IReadOnlyList<int> shape, out int d0, out int d1, out int d2)
    {
        Require(shape, 3);
        (d0, d1, d2) = (shape[0], shape[1], shape[2]);
    }

    /// <summary>Unpacks a 4-D shape.</summary>
    public static void Deconstruct(this IReadOnlyList<int> shape, out int d0, out int d1, out int d2, out int d3)
    {
        Require(shape, 4);
        (d0, d1, d2, d3) = (shape[0], shape[1], shape[2], shape[3]);
    }

    /// <summary>Unpacks a 5-D shape.</summary>
    public static void Deconstruct(this IReadOnlyList<int> shape, out int d0, out int d1, out int d2, out int d3, out int d4)
    {
        Require(shape, 5);
        (d0, d1, d2, d3, d4) = (shape[0], shape[1], shape[2], shape[3], shape[4]);
    }

    /// <summary>Unpacks a 6-D shape.</summary>
    public static void Deconstruct(this IReadOnlyList<int> shape, out int d0, out int d1, out int d2, out int d3, out int d4, out int d5)
    {
        Require(shape, 6);
        (d0, d1, d2, d3, d4, d5) = (shape[0], shape[1], shape[2], shape[3], shape[4], shape[5]);
    }

    static void Require(IReadOnlyList<int> shape, int count)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (shape.Count == count) return;
        string unpack = shape.Count > count ? $"too many values to unpack (expected {count})" : $"not enough values to unpack (expected {count}, got {shape.Count})";
        throw new ShapeException("Deconstruct", $"{unpack}: shape [{string.Join(", ", shape)}]");
    }
}
