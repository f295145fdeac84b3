namespace ShapeSafe.NN;

/// <summary>
/// Merges dims <c>startDim</c>..<c>endDim</c> into one (<c>nn.Flatten</c>); by default every dim after the batch,
/// so [N, C, H, W] becomes [N, C·H·W]. A view when the layout allows, as <see cref="Tensor.Flatten"/>.
/// </summary>
public class Flatten : Module, ITensorModule
{
    /// <summary>Creates the layer (PyTorch's defaults: start 1, end -1).</summary>
    public Flatten(int startDim = 1, int endDim = -1)
    {
        StartDim = startDim;
        EndDim = endDim;
    }

    /// <summary>The first dim merged.</summary>
    public int StartDim { get; }

    /// <summary>The last dim merged (negative counts from the end).</summary>
    public int EndDim { get; }

    /// <summary>Flattens <paramref name="input"/>.</summary>
    [ShapeContract("Flatten")]
    public Tensor Forward(Tensor input) => input.Flatten(StartDim, EndDim);

    /// <inheritdoc/>
    protected override string ExtraRepr() => $"start_dim={StartDim}, end_dim={EndDim}";
}
