Console.WriteLine("ShapeSafe benchmarks: coming with the kernels.");
