using BenchmarkDotNet.Running;
using ShapeSafe.MicroBenchmarks;

// Everything but `--full` is BenchmarkDotNet's own command line: --filter, --list flat, --exporters, ...
bool full = args.Contains(MicroConfig.FullSwitch);
string[] rest = args.Where(a => a != MicroConfig.FullSwitch).ToArray();
BenchmarkSwitcher.FromAssembly(typeof(MicroConfig).Assembly).Run(rest, MicroConfig.Create(full));
