using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ShapeSafe.Kernels.Elementwise;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>The activation a <see cref="GemmEpilogue"/> applies to each finished element of C.</summary>
internal enum GemmActivation
{
    /// <summary>None: the element stays the product (plus the bias).</summary>
    None,

    /// <summary><c>max(x, 0)</c>, NaN staying NaN: the engine's ReLU, bit for bit.</summary>
    Relu,

    /// <summary>
    /// Exact GELU, <c>x·Φ(x) = x/2·(1 + erf(x/√2))</c> (PyTorch's default): the very function the engine's Gelu op
    /// evaluates (<see cref="GeluOp"/>), so a fused layer matches the separate ops bit for bit.
    /// </summary>
    Gelu,
}

/// <summary>Which way a <see cref="GemmEpilogue"/>'s bias vector runs over C.</summary>
internal enum GemmBias
{
    /// <summary>No bias.</summary>
    None,

    /// <summary><c>bias[j]</c> added to column j of C, the same vector on every row: a linear layer's output features.</summary>
    PerColumn,

    /// <summary><c>bias[i]</c> added to row i of C: a convolution's output channels.</summary>
    PerRow,
}

/// <summary>
/// What a GEMM does to each element of C once its sum is complete, while the element's tile is still in cache:
/// <c>C = act(alpha·A·B + beta·C + bias)</c>, optionally keeping <c>alpha·A·B + beta·C + bias</c> (the
/// pre-activation, which a backward pass may need) in a second array. <c>default</c> does nothing.
/// </summary>
/// <remarks>
/// The product is rounded to float as without an epilogue, the bias is then added (one more rounding) and the
/// activation applied to that float, so a fused layer gives exactly what the GEMM followed by the separate bias
/// add and activation gives.
/// </remarks>
internal readonly struct GemmEpilogue
{
    /// <summary>How <see cref="Bias"/> is broadcast; <see cref="GemmBias.None"/> when there is no bias.</summary>
    public GemmBias BiasAlong { get; init; }

    /// <summary>The bias vector (n elements for <see cref="GemmBias.PerColumn"/>, m for <see cref="GemmBias.PerRow"/>).</summary>
    public float[]? Bias { get; init; }

    /// <summary>Where the bias starts in <see cref="Bias"/>; its elements are contiguous.</summary>
    public int BiasOffset { get; init; }

    /// <summary>The activation applied last.</summary>
    public GemmActivation Activation { get; init; }

    /// <summary>
    /// Where to keep the pre-activation, or null: element (i, j) goes to
    /// <c>PreActivation[PreActivationOffset + i·cRowStride + j·cColStride]</c>, the layout of C in its own array.
    /// </summary>
    public float[]? PreActivation { get; init; }

    /// <summary>Where element (0, 0) of the pre-activation goes in <see cref="PreActivation"/>.</summary>
    public int PreActivationOffset { get; init; }

    /// <summary>True when the epilogue leaves C as the plain product.</summary>
    public bool IsNone => BiasAlong == GemmBias.None && Activation == GemmActivation.None && PreActivation is null;

    /// <summary>An epilogue adding <paramref name="bias"/>[j] to column j, then applying <paramref name="activation"/> (a linear layer).</summary>
    public static GemmEpilogue ColumnBias(float[] bias, int offset, GemmActivation activation = GemmActivation.None) =>
        new() { BiasAlong = GemmBias.PerColumn, Bias = bias, BiasOffset = offset, Activation = activation };

    /// <summary>An epilogue adding <paramref name="bias"/>[i] to row i, then applying <paramref name="activation"/> (a convolution).</summary>
    public static GemmEpilogue RowBias(float[] bias, int offset, GemmActivation activation = GemmActivation.None) =>
        new() { BiasAlong = GemmBias.PerRow, Bias = bias, BiasOffset = offset, Activation = activation };
}

/// <summary>
/// A <see cref="GemmEpilogue"/> with its arrays pinned, in the form the loop nests apply to each finished tile of C.
/// <see cref="Bias"/> points at bias element 0 and <see cref="PreActivation"/> at pre-activation element (0, 0).
/// </summary>
internal readonly unsafe struct GemmTileEpilogue(float* bias, GemmBias biasAlong, GemmActivation activation, float* preActivation)
{
    public readonly float* Bias = bias;
    public readonly GemmBias BiasAlong = biasAlong;
    public readonly GemmActivation Activation = activation;
    public readonly float* PreActivation = preActivation;

    public bool IsNone => BiasAlong == GemmBias.None && Activation == GemmActivation.None && PreActivation == null;

    /// <summary>The same epilogue for the transposed product C^T = B^T·A^T: rows and columns trade places.</summary>
    public GemmTileEpilogue Transposed() => new(Bias, BiasAlong switch
    {
        GemmBias.PerColumn => GemmBias.PerRow,
        GemmBias.PerRow => GemmBias.PerColumn,
        _ => GemmBias.None,
    }, Activation, PreActivation);

    /// <summary>
    /// Applies the epilogue to the finished <paramref name="rows"/> x <paramref name="cols"/> block of C at
    /// <paramref name="c"/>, which is element (<paramref name="row0"/>, <paramref name="col0"/>) of the whole C.
    /// </summary>
    public void Apply(float* c, nint cRow, nint cCol, int rows, int cols, int row0, int col0)
    {
        for (int i = 0; i < rows; i++)
        {
            float* row = c + i * cRow;
            float* pre = PreActivation == null ? null : PreActivation + (row0 + i) * cRow + col0 * cCol;
            float* columnBias = BiasAlong == GemmBias.PerColumn ? Bias + col0 : null;
            float rowBias = BiasAlong == GemmBias.PerRow ? Bias[row0 + i] : 0f;
            if (cCol == 1)
                ApplyRow(row, cols, columnBias, rowBias, pre);
            else
                ApplyStridedRow(row, cCol, cols, columnBias, rowBias, pre);
        }
    }

    // One contiguous row: bias, pre-activation and ReLU in vectors; GELU (a double-precision erfc per element,
    // kept scalar to stay identical to the Gelu op) after them.
    private void ApplyRow(float* x, int count, float* columnBias, float rowBias, float* pre)
    {
        bool rowBiased = BiasAlong == GemmBias.PerRow, relu = Activation == GemmActivation.Relu;
        int j = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vRowBias = Vector512.Create(rowBias);
            for (; j <= count - Vector512<float>.Count; j += Vector512<float>.Count)
            {
                var v = Vector512.Load(x + j);
                if (columnBias != null)
                    v += Vector512.Load(columnBias + j);
                else if (rowBiased)
                    v += vRowBias;
                if (pre != null)
                    Vector512.Store(v, pre + j);
                if (relu)
                    v = Vector512.Max(v, Vector512<float>.Zero);
                Vector512.Store(v, x + j);
            }
        }
        if (Vector256.IsHardwareAccelerated)
        {
            var vRowBias = Vector256.Create(rowBias);
            for (; j <= count - Vector256<float>.Count; j += Vector256<float>.Count)
            {
                var v = Vector256.Load(x + j);
                if (columnBias != null)
                    v += Vector256.Load(columnBias + j);
                else if (rowBiased)
                    v += vRowBias;
                if (pre != null)
                    Vector256.Store(v, pre + j);
                if (relu)
                    v = Vector256.Max(v, Vector256<float>.Zero);
                Vector256.Store(v, x + j);
            }
        }
        for (; j < count; j++)
        {
            float v = x[j];
            if (columnBias != null)
                v += columnBias[j];
            else if (rowBiased)
                v += rowBias;
            if (pre != null)
                pre[j] = v;
            x[j] = relu ? MathF.Max(v, 0f) : v;
        }
        if (Activation == GemmActivation.Gelu)
        {
            for (j = 0; j < count; j++)
                x[j] = default(GeluOp).Apply(x[j]);
        }
    }

    private void ApplyStridedRow(float* x, nint stride, int count, float* columnBias, float rowBias, float* pre)
    {
        for (int j = 0; j < count; j++)
        {
            float* xj = x + j * stride;
            float v = *xj;
            if (columnBias != null)
                v += columnBias[j];
            else if (BiasAlong == GemmBias.PerRow)
                v += rowBias;
            if (pre != null)
                pre[j * stride] = v;
            *xj = Activate(v);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private float Activate(float v) => Activation switch
    {
        GemmActivation.Relu => MathF.Max(v, 0f),
        GemmActivation.Gelu => default(GeluOp).Apply(v),
        _ => v,
    };
}
