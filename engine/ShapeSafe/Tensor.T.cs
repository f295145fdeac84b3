namespace ShapeSafe;

public partial class Tensor
{
    /// <summary>
    /// PyTorch's <c>Tensor.T</c>: the dims in reverse order, a view (a 2-D tensor's transpose, <c>w.T</c>; a 0-dim or
    /// 1-D tensor as it is). PyTorch computes it as <c>permute</c>, so its autograd node is "PermuteBackward".
    /// </summary>
    public Tensor T
    {
        get
        {
            var dims = new int[Rank];
            for (int i = 0; i < dims.Length; i++) dims[i] = dims.Length - 1 - i;
            return Permute(dims);
        }
    }
}
