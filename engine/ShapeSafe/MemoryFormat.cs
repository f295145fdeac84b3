namespace ShapeSafe;

/// <summary>How a copy lays its elements out (PyTorch's <c>torch.memory_format</c>).</summary>
public enum MemoryFormat
{
    /// <summary>Keep a dense layout's strides (a permuted tensor stays permuted); anything else becomes contiguous (<c>torch.preserve_format</c>).</summary>
    Preserve,

    /// <summary>Row-major strides (<c>torch.contiguous_format</c>).</summary>
    Contiguous,

    /// <summary>NHWC order for a 4-D [N, C, H, W] tensor: strides [H·W·C, 1, W·C, C] (<c>torch.channels_last</c>).</summary>
    ChannelsLast,

    /// <summary>NDHWC order for a 5-D [N, C, D, H, W] tensor (<c>torch.channels_last_3d</c>).</summary>
    ChannelsLast3d,
}
