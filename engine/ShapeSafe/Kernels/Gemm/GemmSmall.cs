using System.Runtime.Intrinsics;

namespace ShapeSafe.Kernels.Gemm;

/// <summary>
/// Products too small (or too thin: one row or one column) to repay packing: straight loops over the
/// operands as they lie, vectorized where the strides allow.
/// </summary>
internal static unsafe class GemmSmall
{
    public static void Run(in GemmProblem p)
    {
        if (p.BColStride == 1)
            RunRowUpdates(p);
        else if (p.AColStride == 1 && p.BRowStride == 1)
            RunDotProducts(p);
        else
            RunScalar(p);
    }

    // B's rows are contiguous: build each row of C as a sum of scaled B rows (vectorized along n).
    private static void RunRowUpdates(in GemmProblem p)
    {
        int n = p.N;
        float* acc = GemmWorkspace.RowAccumulator.Get(n);
        for (int i = 0; i < p.M; i++)
        {
            new Span<float>(acc, n).Clear();
            float* aRow = p.A + i * p.ARowStride;
            for (int t = 0; t < p.K; t++)
            {
                float s = aRow[t * p.AColStride];
                float* bRow = p.B + t * p.BRowStride;
                int j = 0;
                if (Vector256.IsHardwareAccelerated)
                {
                    var vs = Vector256.Create(s);
                    for (; j <= n - Vector256<float>.Count; j += Vector256<float>.Count)
                        Vector256.Store(Vector256.MultiplyAddEstimate(vs, Vector256.Load(bRow + j), Vector256.Load(acc + j)), acc + j);
                }
                for (; j < n; j++)
                    acc[j] = float.MultiplyAddEstimate(s, bRow[j], acc[j]);
            }
            StoreRow(p, i, acc);
        }
    }

    // A's rows and B's columns are contiguous: each element of C is one dot product.
    private static void RunDotProducts(in GemmProblem p)
    {
        float* acc = GemmWorkspace.RowAccumulator.Get(p.N);
        for (int i = 0; i < p.M; i++)
        {
            float* aRow = p.A + i * p.ARowStride;
            for (int j = 0; j < p.N; j++)
                acc[j] = Dot(aRow, p.B + j * p.BColStride, p.K);
            StoreRow(p, i, acc);
        }
    }

    private static float Dot(float* x, float* y, int count)
    {
        int t = 0;
        float sum = 0;
        if (Vector256.IsHardwareAccelerated && count >= 2 * Vector256<float>.Count)
        {
            // Two accumulators hide the add latency; they are combined in a fixed order.
            var s0 = Vector256<float>.Zero;
            var s1 = Vector256<float>.Zero;
            for (; t <= count - 2 * Vector256<float>.Count; t += 2 * Vector256<float>.Count)
            {
                s0 = Vector256.MultiplyAddEstimate(Vector256.Load(x + t), Vector256.Load(y + t), s0);
                s1 = Vector256.MultiplyAddEstimate(Vector256.Load(x + t + Vector256<float>.Count), Vector256.Load(y + t + Vector256<float>.Count), s1);
            }
            sum = Vector256.Sum(s0 + s1);
        }
        for (; t < count; t++)
            sum = float.MultiplyAddEstimate(x[t], y[t], sum);
        return sum;
    }

    private static void RunScalar(in GemmProblem p)
    {
        float* acc = GemmWorkspace.RowAccumulator.Get(p.N);
        for (int i = 0; i < p.M; i++)
        {
            float* aRow = p.A + i * p.ARowStride;
            for (int j = 0; j < p.N; j++)
            {
                float* bCol = p.B + j * p.BColStride;
                float sum = 0;
                for (int t = 0; t < p.K; t++)
                    sum = float.MultiplyAddEstimate(aRow[t * p.AColStride], bCol[t * p.BRowStride], sum);
                acc[j] = sum;
            }
            StoreRow(p, i, acc);
        }
    }

    private static void StoreRow(in GemmProblem p, int i, float* acc)
    {
        float* cRow = p.C + i * p.CRowStride;
        float alpha = p.Alpha, beta = p.Beta;
        for (int j = 0; j < p.N; j++)
        {
            float* cij = cRow + j * p.CColStride;
            *cij = beta == 0 ? acc[j] * alpha : float.MultiplyAddEstimate(acc[j], alpha, beta * *cij);
        }
    }
}
