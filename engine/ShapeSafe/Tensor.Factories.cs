namespace ShapeSafe;

public partial class Tensor
{
    internal static Tensor Create(Storage storage, int[] sizes) =>
        new(storage, sizes, Rules.ContiguousStrides(sizes), 0);

    internal static Tensor Uninitialized(DType dtype, int[] sizes, string op = "Tensor") =>
        Create(Storage.AllocateUninitialized(dtype, (int)CountOf(sizes, op)), sizes);

    /// <summary>
    /// A contiguous Float32 tensor for a gradient made inside the backward pass, on pooled storage that only the
    /// backward engine will hold (<see cref="Kernels.Memory.StorageOwner.Backward"/>); contents undefined.
    /// </summary>
    internal static Tensor BackwardGradient(int[] sizes) =>
        Create(Storage.BackwardGradient((int)CountOf(sizes)), sizes);

    /// <summary>
    /// The element count of a new tensor of shape <paramref name="sizes"/>; refuses negative sizes and counts past
    /// <see cref="ShapeSafe.Shapes.ShapeRules{T, TDomain}.MaxElements"/>, naming <paramref name="op"/>. Exact for any sizes:
    /// a 0 anywhere gives 0, and the product never wraps.
    /// </summary>
    internal static long CountOf(int[] sizes, string op = "Tensor")
    {
        foreach (var s in sizes)
        {
            if (s < 0)
                throw new ShapeException(op, $"negative dimension {s} in shape {Rules.Format(sizes)}");
            if (s == 0) return 0;
        }
        long n = 1;
        foreach (var s in sizes)
        {
            n *= s; // n ≤ MaxElements < 2^31 before each step, so the product of two ints never wraps
            if (n > Rules.MaxElements)
                throw new ShapeException(op, $"shape {Rules.Format(sizes)} has {ElementCount(sizes)} elements, more than a tensor can hold ({Rules.MaxElements})");
        }
        return n;
    }

    static string ElementCount(int[] sizes)
    {
        var n = System.Numerics.BigInteger.One;
        foreach (var s in sizes) n *= s;
        return n.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A tensor of zeros (Float32 unless <paramref name="dtype"/> says otherwise).</summary>
    [ShapeContract("Factory")]
    public static Tensor Zeros(int[] shape, DType dtype) => Create(Storage.Allocate(dtype, (int)CountOf(shape, "Zeros")), (int[])shape.Clone());

    /// <summary>A Float32 tensor of zeros.</summary>
    [ShapeContract("Factory")]
    public static Tensor Zeros(params int[] shape) => Zeros(shape, DType.Float32);

    /// <summary>A tensor of ones.</summary>
    [ShapeContract("Factory")]
    public static Tensor Ones(int[] shape, DType dtype) => Full(shape, 1f, dtype, "Ones");

    /// <summary>A Float32 tensor of ones.</summary>
    [ShapeContract("Factory")]
    public static Tensor Ones(params int[] shape) => Full(shape, 1f, DType.Float32, "Ones");

    /// <summary>A tensor whose contents are unspecified (here: zeros, since managed memory is zeroed).</summary>
    [ShapeContract("Factory")]
    public static Tensor Empty(params int[] shape) => Zeros(shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    [ShapeContract("Factory")]
    public static Tensor Full(int[] shape, float value, DType dtype = DType.Float32) => Full(shape, (double)value, dtype, "Full");

    /// <summary>A tensor filled with a double <paramref name="value"/> (exact for Float64; converted as <see cref="ToDType"/> for the others).</summary>
    [ShapeContract("Factory")]
    public static Tensor Full(int[] shape, double value, DType dtype) => Full(shape, value, dtype, "Full");

    /// <summary>A Bool tensor filled with <paramref name="value"/> (<c>torch.full(shape, True)</c>).</summary>
    [ShapeContract("Factory")]
    public static Tensor Full(int[] shape, bool value) => Full(shape, value ? 1.0 : 0.0, DType.Bool, "Full");

    static Tensor Full(int[] shape, double value, DType dtype, string op)
    {
        var t = Uninitialized(dtype, (int[])shape.Clone(), op);
        switch (dtype)
        {
            case DType.Float32: Array.Fill(t.FloatData, (float)value); break;
            case DType.Int64: Array.Fill(t.LongData, (long)value); break;
            case DType.Bool: Array.Fill(t.BoolData, value != 0); break;
            case DType.Float64: Array.Fill(t.DoubleData, value); break;
            default: Array.Fill(t.BFloat16Data, Kernels.Elementwise.DTypeConversion.ToBFloat16((float)value)); break;
        }
        return t;
    }

    /// <summary>The n×n identity matrix.</summary>
    public static Tensor Eye(int n) => Eye(n, n);

    /// <summary>An n×m matrix with ones on the diagonal.</summary>
    public static Tensor Eye(int n, int m)
    {
        var t = Zeros(n, m);
        var data = t.FloatData;
        for (int i = 0; i < Math.Min(n, m); i++) data[i * m + i] = 1f;
        return t;
    }

    /// <summary>Zeros with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor ZerosLike(Tensor like) => Zeros(like.Sizes, like.DType);

    /// <summary>Ones with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor OnesLike(Tensor like) => Full(like.Sizes, 1f, like.DType);

    /// <summary>A tensor filled with <paramref name="value"/> with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor FullLike(Tensor like, float value) => Full(like.Sizes, value, like.DType);

    /// <summary>A tensor filled with a double <paramref name="value"/> with the shape and dtype of <paramref name="like"/>.</summary>
    public static Tensor FullLike(Tensor like, double value) => Full(like.Sizes, value, like.DType);

    /// <summary><c>[0, 1, …, end-1]</c> as Int64.</summary>
    public static Tensor Arange(long end) => Arange(0, end, 1);

    /// <summary><c>[start, start+step, …)</c> up to but excluding <paramref name="end"/>, as Int64.</summary>
    public static Tensor Arange(long start, long end, long step = 1)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be nonzero", nameof(step));
        if ((step > 0 && end < start) || (step < 0 && end > start))
            throw new ArgumentException($"Arange: upper bound and larger bound inconsistent with step sign (start {start}, end {end}, step {step})");
        // In 128 bits: end - start may not fit in a long (Arange(long.MinValue, long.MaxValue)).
        var n = (long)Int128.Min(((Int128)end - start + step - Math.Sign(step)) / step, long.MaxValue);
        CheckArangeLength(n, start, end, step);
        var data = new long[n];
        for (long i = 0; i < n; i++) data[i] = start + i * step;
        return Create(new Storage(data), new[] { (int)n });
    }

    /// <summary><c>[start, start+step, …)</c> as Float32 (PyTorch: any floating-point argument gives a float tensor).</summary>
    public static Tensor Arange(double start, double end, double step = 1)
    {
        if (step == 0) throw new ArgumentException("Arange: step must be nonzero", nameof(step));
        if ((step > 0 && end < start) || (step < 0 && end > start))
            throw new ArgumentException($"Arange: upper bound and larger bound inconsistent with step sign (start {start}, end {end}, step {step})");
        double count = Math.Ceiling((end - start) / step);
        if (double.IsNaN(count))
            throw new ArgumentException($"Arange: the number of elements is undefined (start {start}, end {end}, step {step})");
        long n = count >= Rules.MaxElements + 1.0 ? Rules.MaxElements + 1 : (long)count;
        CheckArangeLength(n, start, end, step);
        var data = new float[n];
        for (long i = 0; i < n; i++) data[i] = (float)(start + i * step);
        return Create(new Storage(data), new[] { (int)n });
    }

    static void CheckArangeLength(long n, double start, double end, double step)
    {
        if (n > Rules.MaxElements)
            throw new ShapeException("Arange", $"start {start}, end {end} and step {step} give {n} elements, more than a tensor can hold ({Rules.MaxElements})");
    }

    /// <summary>A Float32 tensor holding a copy of <paramref name="data"/> with the given shape (the data's length when omitted).</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
        => Copied(data, shape, static d => new Storage(d));

    /// <summary>An Int64 tensor holding a copy of <paramref name="data"/> with the given shape (the data's length when omitted).</summary>
    public static Tensor FromArray(long[] data, params int[] shape)
        => Copied(data, shape, static d => new Storage(d));

    /// <summary>A Bool tensor holding a copy of <paramref name="data"/> with the given shape (the data's length when omitted).</summary>
    public static Tensor FromArray(bool[] data, params int[] shape)
        => Copied(data, shape, static d => new Storage(d));

    /// <summary>A Float64 tensor holding a copy of <paramref name="data"/> with the given shape (the data's length when omitted).</summary>
    public static Tensor FromArray(double[] data, params int[] shape)
        => Copied(data, shape, static d => new Storage(d));

    /// <summary>A 2-D Float32 tensor copied from a rectangular array.</summary>
    public static Tensor FromArray(float[,] data)
    {
        int rows = data.GetLength(0), cols = data.GetLength(1);
        var flat = new float[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                flat[i * cols + j] = data[i, j];
        return Create(new Storage(flat), new[] { rows, cols });
    }

    /// <summary>A 2-D Int64 tensor copied from a rectangular array.</summary>
    public static Tensor FromArray(long[,] data)
    {
        int rows = data.GetLength(0), cols = data.GetLength(1);
        var flat = new long[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                flat[i * cols + j] = data[i, j];
        return Create(new Storage(flat), new[] { rows, cols });
    }

    /// <summary>A 0-dim Float32 tensor.</summary>
    public static Tensor Scalar(float value) => Create(new Storage(new[] { value }), Array.Empty<int>());

    /// <summary>A 0-dim Int64 tensor.</summary>
    public static Tensor Scalar(long value) => Create(new Storage(new[] { value }), Array.Empty<int>());

    /// <summary>A 0-dim Bool tensor.</summary>
    public static Tensor Scalar(bool value) => Create(new Storage(new[] { value }), Array.Empty<int>());

    /// <summary>A 0-dim Float64 tensor (<c>torch.tensor(2.5, dtype=torch.float64)</c>).</summary>
    public static Tensor Scalar(double value) => Create(new Storage(new[] { value }), Array.Empty<int>());

    /// <summary>A float converts to a 0-dim tensor, so <c>b[1] = 0f</c> and <c>t + 1f</c> read naturally.</summary>
    public static implicit operator Tensor(float value) => Scalar(value);

    /// <summary>A copy of <paramref name="data"/> in the given shape (the data's length when the shape is empty).</summary>
    static Tensor Copied<T>(T[] data, int[] shape, Func<T[], Storage> storage)
    {
        var sizes = shape.Length == 0 ? new[] { data.Length } : (int[])shape.Clone();
        CheckLength("FromArray", data.Length, sizes);
        return Create(storage((T[])data.Clone()), sizes);
    }

    static void CheckLength(string op, int length, int[] sizes)
    {
        long n = CountOf(sizes, op);
        if (n != length)
            throw new ShapeException(op, $"{length} values cannot fill shape {Rules.Format(sizes)} ({n} elements)");
    }
}
