using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ShapeSafe.Kernels.Pooling;

/// <summary>
/// The 2×2, stride-2 max pool of <see cref="MaxPoolKernel"/> eight outputs at a time with AVX2 gathers. Eight
/// consecutive outputs of a plane may span rows (a 14×14 input has 7 outputs per row), so each output's window
/// corner comes from a per-call table of offsets rather than from a fixed stride; the four taps are gathered
/// and taken in the scalar kernel's order (row-major window order, first maximum wins, NaN wins), so results
/// are bitwise the scalar kernel's. Written here because TensorPrimitives has no windowed max with argmax.
/// Indices are Int32 or Int64 (the only types the callers use).
/// </summary>
internal static unsafe class TwoByTwoGathered
{
    // Planes whose window-corner table would not fit on the stack take the scalar kernel.
    private const int MaxTable = 4096;

    public static bool IsSupported(in Pool2dGeometry g) =>
        Avx2.IsSupported && g.OutPlane >= Vector256<int>.Count && g.OutPlane <= MaxTable;

    public static void Forward<TIndex>(in Pool2dGeometry g, int first, int end, float[] input, int inputOffset,
        float[] output, int outputOffset, TIndex[] indices, int indicesOffset) where TIndex : unmanaged, System.Numerics.IBinaryInteger<TIndex>
    {
        int width = g.InWidth, ow = g.OutWidth, outPlane = g.OutPlane;
        // corner[k]: the window's top-left position within its input plane, which is also its index if it wins.
        Span<int> corner = stackalloc int[outPlane];
        for (int k = 0; k < outPlane; k++)
            corner[k] = 2 * (k / ow) * width + 2 * (k % ow);
        int vectorEnd = outPlane - outPlane % Vector256<int>.Count;

        if (end <= first)
            return;
        // Bounds for the unchecked reads and writes below, checked once.
        _ = input.AsSpan(inputOffset + first * g.InPlane, (end - first) * g.InPlane);
        _ = output.AsSpan(outputOffset + first * outPlane, (end - first) * outPlane);
        _ = indices.AsSpan(indicesOffset + first * outPlane, (end - first) * outPlane);

        fixed (float* inputBase = input)
        fixed (float* outputBase = output)
        fixed (TIndex* indicesBase = indices)
        fixed (int* corners = corner)
        {
            var right = Vector256.Create(1);
            var below = Vector256.Create(width);
            var belowRight = Vector256.Create(width + 1);
            for (int p = first; p < end; p++)
            {
                float* plane = inputBase + inputOffset + p * g.InPlane;
                float* values = outputBase + outputOffset + p * outPlane;
                TIndex* where = indicesBase + indicesOffset + p * outPlane;
                for (int k = 0; k < vectorEnd; k += Vector256<int>.Count)
                {
                    var at = Avx.LoadVector256(corners + k);
                    var max = Avx2.GatherVector256(plane, at, 4);
                    var argmax = at;
                    Take(Avx2.GatherVector256(plane + 1, at, 4), Avx2.Add(at, right), ref max, ref argmax);
                    Take(Avx2.GatherVector256(plane + width, at, 4), Avx2.Add(at, below), ref max, ref argmax);
                    Take(Avx2.GatherVector256(plane + width + 1, at, 4), Avx2.Add(at, belowRight), ref max, ref argmax);
                    Avx.Store(values + k, max);
                    if (typeof(TIndex) == typeof(int))
                    {
                        Avx.Store((int*)where + k, argmax);
                    }
                    else
                    {
                        Avx.Store((long*)where + k, Avx2.ConvertToVector256Int64(argmax.GetLower()));
                        Avx.Store((long*)where + k + 4, Avx2.ConvertToVector256Int64(argmax.GetUpper()));
                    }
                }
                for (int k = vectorEnd; k < outPlane; k++)
                {
                    int at = corners[k];
                    float max = plane[at];
                    int argmax = at;
                    TakeScalar(plane[at + 1], at + 1, ref max, ref argmax);
                    TakeScalar(plane[at + width], at + width, ref max, ref argmax);
                    TakeScalar(plane[at + width + 1], at + width + 1, ref max, ref argmax);
                    values[k] = max;
                    where[k] = TIndex.CreateTruncating(argmax);
                }
            }
        }
    }

    // Lanes where v beats max, or v is NaN, take v and its position (the scalar kernel's rule).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Take(Vector256<float> v, Vector256<int> at, ref Vector256<float> max, ref Vector256<int> argmax)
    {
        var take = Avx.Or(Avx.CompareGreaterThan(v, max), Avx.CompareUnordered(v, v));
        max = Avx.BlendVariable(max, v, take);
        argmax = Avx.BlendVariable(argmax.AsSingle(), at.AsSingle(), take).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TakeScalar(float v, int at, ref float max, ref int argmax)
    {
        if (v > max || float.IsNaN(v))
        {
            max = v;
            argmax = at;
        }
    }
}
