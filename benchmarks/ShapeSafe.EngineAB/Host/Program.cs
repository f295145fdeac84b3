// Loads the timing library once per engine build, each in its own load context (so each binds its own
// ShapeSafe.dll), then alternates them round by round (which build goes first alternates too) and prints the
// median and best thread CPU time per step of each, and their ratios.
//   ShapeSafe.EngineAB.dll BASE_DIR NEW_DIR [rounds] [reps]
using System.Reflection;
using System.Runtime.Loader;

if (args.Length < 2)
{
    Console.Error.WriteLine("usage: ShapeSafe.EngineAB BASE_DIR NEW_DIR [rounds] [reps]");
    return 2;
}
int rounds = args.Length > 2 ? int.Parse(args[2]) : 30;
int reps = args.Length > 3 ? int.Parse(args[3]) : 10;
_ = typeof(System.Numerics.Tensors.TensorPrimitives).Assembly; // one copy, shared by both builds

var builds = new[] { ("base", args[0]), ("new", args[1]) }.Select(b =>
{
    var context = new BuildContext(b.Item2);
    var steps = context.LoadFromAssemblyPath(Path.Combine(b.Item2, "ShapeSafe.EngineAB.Timing.dll")).GetType("ShapeSafe.EngineAB.Steps")!;
    steps.GetMethod("Setup")!.Invoke(null, null);
    var names = (string[])steps.GetProperty("Names")!.GetValue(null)!;
    return (Name: b.Item1, Names: names, Run: steps.GetMethod("Run")!.CreateDelegate<Func<int, int, double>>());
}).ToArray();

Console.WriteLine($"{rounds} rounds of {reps} runs, thread CPU ms per run; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
for (int step = 0; step < builds[0].Names.Length; step++)
{
    foreach (var b in builds)
        b.Run(step, 3);
    var times = new[] { new List<double>(), new List<double>() };
    for (int r = 0; r < rounds; r++)
        foreach (int i in r % 2 == 0 ? new[] { 0, 1 } : new[] { 1, 0 })
            times[i].Add(builds[i].Run(step, reps) / reps * 1000);
    double Median(List<double> t) => t.Order().ElementAt(t.Count / 2);
    Console.WriteLine($"{builds[0].Names[step],-36} base {Median(times[0]),8:F3} (best {times[0].Min():F3})  new {Median(times[1]),8:F3} (best {times[1].Min():F3})  new/base median {Median(times[1]) / Median(times[0]):F3}, best {times[1].Min() / times[0].Min():F3}");
}
Console.WriteLine($"load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
return 0;

sealed class BuildContext(string directory) : AssemblyLoadContext
{
    protected override Assembly? Load(AssemblyName name)
    {
        var path = Path.Combine(directory, name.Name + ".dll");
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }
}
