ShapeSafe.Analyzers.Benchmarks.AnalyzerBenchmark.Run(args);
