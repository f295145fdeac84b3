using ShapeSafe;
using ShapeSafe.Benchmarks;

// One subcommand per benchmark: `dotnet run -c Release -- <name> [options]`.
// Common options: --threads N (intra-op threads; gemm and conv take a list), --json (one JSON object per row, for run.sh).
string command = args.Length > 0 ? args[0] : "";
var rest = args.Length > 0 ? args[1..] : Array.Empty<string>();
BenchOutput.Json = rest.Contains("--json");
if (command is not ("gemm" or "conv") && BenchOutput.Option(rest, "--threads", "") is { Length: > 0 } threads)
    Tensor.SetNumThreads(int.Parse(threads));
switch (command)
{
    case "gemm":
        return GemmBenchmark.Run(rest);
    case "api":
        return ApiBenchmark.Run(rest);
    case "mm-cost":
        return MmCostBenchmark.Run(rest);
    case "overhead":
        return OverheadBenchmark.Run(rest);
    case "train":
        return TrainBenchmark.Run(rest);
    case "fashion":
        return FashionBenchmark.Run(rest);
    case "bf16":
        return BFloat16Benchmark.Run(rest);
    case "trainer":
        return TrainerBenchmark.Run(rest);
    case "transformer":
        return TransformerBenchmark.Run(rest);
    case "recompute":
        return RecomputeBenchmark.Run(rest);
    case "compiled-step":
        return CompiledStepBenchmark.Run(rest);
    case "conv":
        ConvBenchmark.Run(rest);
        return 0;
    default:
        Console.Error.WriteLine("""
            usage: ShapeSafe.Benchmarks <command> [options]
              gemm [--threads N] [--sizes 128,256,...] [--kernel NAME] [--route auto|packed|unpacked] [--mc N --kc N --nc N] [--repeat N] [--cpu-time] [--transpose-b] [--json]
              api [--threads N] [--sizes 128,256,512,1024] [--ops mm,matmul,linear,conv2d] [--json]   public calls on fresh outputs, with GC counts
              mm-cost [--threads N] [--sizes 64,128,256] [--rounds N] [--cpu-time] [--json]   microseconds per call: an empty parallel loop, the kernel into a reused and a fresh output, Tensor.Mm
              overhead [--json]                          a + b on 4 elements, microseconds per op
              train --model mlp|mlpbig|cnn [--threads N] [--cpu-time] [--json]   SGD samples/s on fixed random batches
              fashion [--epochs N] [--threads N] [--data DIR] [--autocast] [--json]   the CNN on Fashion-MNIST (--autocast: under Autograd.Autocast(BFloat16))
              bf16 [--only conv,gemm,train] [--sizes 256,512,1024] [--steps N] [--rounds N] [--threads N] [--json]   BFloat16 against float32 in alternating rounds: the CNN's convolutions, GEMM kernels, Tensor.Mm, the CNN's training step under autocast
              compiled-step --model mlp|cnn [--rounds N] [--steps N] [--reps N] [--threads N] [--json]   the training step eager against compiled in alternating rounds of thread CPU time, and each generated call alone
              conv [--batch 64] [--threads 1,2] [--reps N] [--no-direct]   the CNN's conv and pool layers
              transformer [--batch 32] [--rounds N] [--steps N] [--eval] [--threads N] [--breakdown | --compiled-breakdown] [--json]   TransformerEncoderLayer(256, 4, 1024) forward + backward, eager against compiled, alternating rounds of thread CPU time
              recompute [--batch 256] [--rounds N] [--steps N] [--threads N] [--json]   a 16-layer GELU MLP (width 1024) compiled saving and recomputing (CompileOptions.Recompute): memory report and step time, alternating rounds of thread CPU time
              trainer [--reps N] [--threads N] [--samples N] [--cpu-time] [--compiled] [--json]   Trainer.Fit against a hand-written loop on the MLP; a TensorBoard file's size and write time
            """);
        return 2;
}
