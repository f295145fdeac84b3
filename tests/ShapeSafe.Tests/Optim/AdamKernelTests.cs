using ShapeSafe.Optim;
using ShapeSafe.Tests.TestSupport;

namespace ShapeSafe.Tests.Optim;

/// <summary>
/// <see cref="AdamKernel"/> (one pass, vectorized, split across threads when large) against the op-by-op update it
/// replaces, written here with tensor ops exactly as <see cref="Adam"/> runs them for AMSGrad or strided tensors:
/// the two must agree bit for bit, on lengths with odd vector tails and with both lerp branches.
/// </summary>
public class AdamKernelTests
{
    [Theory]
    [InlineData(1, 0.9, 1.0f, 1)]
    [InlineData(7, 0.9, 1.0f, 3)]
    [InlineData(17, 0.3, 0.99f, 2)]     // lerp weight 0.7: computed from the end
    [InlineData(255, 0.9, 0.999f, 5)]
    [InlineData(1025, 0.0, 1.0f, 1)]    // lerp weight 1: exact copy of the gradient
    [InlineData(70_001, 0.9, 0.99f, 2)] // large enough to be split across threads
    public void One_pass_update_is_bitwise_the_op_by_op_update(int length, double beta1, float decay, int steps)
    {
        var random = new System.Random(length);
        float[] Random(double scale) => Enumerable.Range(0, length).Select(_ => (float)((random.NextDouble() * 2 - 1) * scale)).ToArray();
        float[] p = Random(1), m = Random(0.1), v = Random(0.01).Select(Math.Abs).ToArray();
        var tp = Tensor.FromArray((float[])p.Clone(), length);
        var tm = Tensor.FromArray((float[])m.Clone(), length);
        var tv = Tensor.FromArray((float[])v.Clone(), length);
        const double beta2 = 0.999, lr = 1e-3, eps = 1e-8;

        for (int t = 1; t <= steps; t++)
        {
            float[] g = Random(1);
            var step = new AdamKernel.Step(decay, (float)(1 - beta1), (float)beta2, (float)(1 - beta2),
                (float)Math.Pow(1 - Math.Pow(beta2, t), 0.5), (float)eps, (float)-(lr / (1 - Math.Pow(beta1, t))));
            foreach (int threads in new[] { 1, 2 })
            {
                // The kernel runs on copies with 1 and 2 threads; both must give the same bits.
                float[] p2 = (float[])p.Clone(), m2 = (float[])m.Clone(), v2 = (float[])v.Clone();
                Threads.With(threads, () =>
                {
                    AdamKernel.Update(p2, g, m2, v2, step);
                    return 0;
                });
                if (threads == 2)
                {
                    AssertBitwise(tp.ToFloatArray(), p2, "param");
                    AssertBitwise(tm.ToFloatArray(), m2, "exp_avg");
                    AssertBitwise(tv.ToFloatArray(), v2, "exp_avg_sq");
                    (p, m, v) = (p2, m2, v2);
                }
                else
                {
                    // The op-by-op reference, advanced once per step.
                    var tg = Tensor.FromArray(g, length);
                    if (decay != 1f) tp.MulInPlace(decay);
                    LerpKernel.LerpInPlace(tm, tg, (float)(1 - beta1));
                    tv.MulInPlace((float)beta2).AddCMulInPlace(tg, tg, (float)(1 - beta2));
                    var denom = tv.Sqrt().DivInPlace(step.BiasCorrection2Sqrt).AddInPlace((float)eps);
                    tp.AddCDivInPlace(tm, denom, step.NegativeStepSize);
                    AssertBitwise(tp.ToFloatArray(), p2, "param");
                    AssertBitwise(tm.ToFloatArray(), m2, "exp_avg");
                    AssertBitwise(tv.ToFloatArray(), v2, "exp_avg_sq");
                }
            }
        }
    }

    [Fact]
    public void Mismatched_lengths_are_refused_with_the_lengths()
    {
        var ex = Assert.Throws<ArgumentException>(() => AdamKernel.Update(new float[3], new float[2], new float[3], new float[3],
            new AdamKernel.Step(1, 0.1f, 0.999f, 0.001f, 1, 1e-8f, -1e-3f)));
        Assert.Contains("(3, 2, 3, 3)", ex.Message);
    }

    static void AssertBitwise(float[] expected, float[] actual, string what)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R}");
        }
    }
}
