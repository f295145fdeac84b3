using System.Collections;

namespace ShapeSafe.Data;

/// <summary>
/// The order in which a <see cref="DataLoader"/> visits a dataset's indices (PyTorch's <c>torch.utils.data.Sampler</c>),
/// for example <see cref="ShapeSafe.Distributed.DistributedSampler"/>. Each enumeration is one epoch.
/// </summary>
public abstract class Sampler : IEnumerable<long>
{
    /// <summary>How many indices one epoch yields (<c>len(sampler)</c>).</summary>
    public abstract int Count { get; }

    /// <summary>One epoch's indices.</summary>
    public abstract IEnumerator<long> GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
