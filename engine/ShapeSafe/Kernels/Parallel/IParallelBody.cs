namespace ShapeSafe.Kernels.Parallel;

/// <summary>
/// The body of a parallel loop, as a struct so that <see cref="ParallelRuntime.For{TBody}(int, ref TBody)"/>
/// runs it without allocating a delegate or closure.
/// </summary>
internal interface IParallelBody
{
    /// <summary>Runs iteration <paramref name="index"/>; iterations may run in any order and on any thread.</summary>
    void Invoke(int index);
}
