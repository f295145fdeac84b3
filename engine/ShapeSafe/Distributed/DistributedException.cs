namespace ShapeSafe.Distributed;

/// <summary>
/// A distributed-training failure that is not a shape error: MPI is missing, ranks called different collectives,
/// or a collective waited longer than <see cref="ProcessGroup.Timeout"/>.
/// </summary>
public class DistributedException : InvalidOperationException
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public DistributedException(string message) : base(message) { }
}

/// <summary>A collective that did not complete within <see cref="ProcessGroup.Timeout"/>.</summary>
public sealed class CollectiveTimeoutException : DistributedException
{
    /// <summary>Creates the exception for <paramref name="collective"/>.</summary>
    public CollectiveTimeoutException(string collective, IReadOnlyList<int> missingRanks, string message) : base(message)
    {
        Collective = collective;
        MissingRanks = missingRanks;
    }

    /// <summary>The collective that timed out, for example <c>"AllReduce"</c>.</summary>
    public string Collective { get; }

    /// <summary>The ranks known not to have arrived (empty when this rank cannot tell).</summary>
    public IReadOnlyList<int> MissingRanks { get; }
}
