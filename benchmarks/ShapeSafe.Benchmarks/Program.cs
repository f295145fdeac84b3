using ShapeSafe.Benchmarks;

// One subcommand per benchmark: `dotnet run -c Release -- <name> [options]`.
string command = args.Length > 0 ? args[0] : "";
switch (command)
{
    case "gemm":
        return GemmBenchmark.Run(args[1..]);
    default:
        Console.Error.WriteLine("usage: ShapeSafe.Benchmarks gemm [--threads N] [--sizes 128,256,...] [--kernel NAME] [--route auto|packed|unpacked] [--mc N --kc N --nc N] [--repeat N] [--cpu-time] [--transpose-b]");
        return 2;
}
