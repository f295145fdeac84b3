if (args.Length > 0 && args[0] == "generator")
    ShapeSafe.Analyzers.Benchmarks.GeneratorBenchmark.Run(args[1..]);
else
    ShapeSafe.Analyzers.Benchmarks.AnalyzerBenchmark.Run(args);
