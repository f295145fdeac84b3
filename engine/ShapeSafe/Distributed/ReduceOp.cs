namespace ShapeSafe.Distributed;

/// <summary>How <see cref="ProcessGroup.AllReduce"/> and <see cref="ProcessGroup.ReduceScatter"/> combine the ranks' values.</summary>
public enum ReduceOp
{
    /// <summary>The element-wise sum.</summary>
    Sum,

    /// <summary>The element-wise sum divided by the world size (Float32 only).</summary>
    Average,

    /// <summary>The element-wise maximum.</summary>
    Max,

    /// <summary>The element-wise minimum.</summary>
    Min,
}
