using ShapeSafe.Shapes;

namespace ShapeSafe;

// Einsum as a chain of batched matrix products: each pair of operands is arranged into
// [batch, free, contracted] × [batch, contracted, free] views (repeated labels become diagonal
// views, broadcast labels stride 0), multiplied with Bmm, and the next operand joins the result.
public partial class Tensor
{
    /// <summary>
    /// Einstein summation, for example <c>Einsum("bij,bjk->bik", a, b)</c>. Labels are letters, <c>...</c>
    /// stands for broadcast leading dims, and an omitted output lists the labels used once, alphabetically.
    /// </summary>
    [ShapeContract("Einsum")]
    public static Tensor Einsum(string equation, params Tensor[] operands)
    {
        var shapes = new int[operands.Length][];
        for (int i = 0; i < operands.Length; i++) shapes[i] = operands[i].Sizes;
        var plan = Rules.Einsum(equation, shapes);
        foreach (var t in operands)
            if (t.DType != DType.Float32)
                throw new ArgumentException($"Einsum: expected Float32 operands, got {t.DType} {Rules.Format(t.Sizes)}");

        var terms = new List<LabeledTensor>();
        for (int i = 0; i < operands.Length; i++)
            terms.Add(LabeledTensor.From(operands[i], plan.DimLabels[i]));
        if (terms.Count == 1) terms.Add(LabeledTensor.From(Scalar(1f), Array.Empty<int>()));

        var acc = terms[0];
        for (int i = 1; i < terms.Count; i++)
        {
            var needed = new HashSet<int>(plan.OutputLabels);
            for (int j = i + 1; j < terms.Count; j++) needed.UnionWith(terms[j].Labels);
            acc = Contract(acc, terms[i], needed, plan.LabelSizes);
        }
        return acc.Arrange(plan.OutputLabels, plan.LabelSizes).Contiguous();
    }

    static LabeledTensor Contract(LabeledTensor a, LabeledTensor b, HashSet<int> needed, Dictionary<int, int> sizes)
    {
        var inB = new HashSet<int>(b.Labels);
        var inA = new HashSet<int>(a.Labels);
        var batch = a.Labels.Where(l => inB.Contains(l) && needed.Contains(l)).ToArray();
        var contracted = a.Labels.Concat(b.Labels.Where(l => !inA.Contains(l))).Where(l => !needed.Contains(l)).ToArray();
        var left = a.Labels.Where(l => !inB.Contains(l) && needed.Contains(l)).ToArray();
        var right = b.Labels.Where(l => !inA.Contains(l) && needed.Contains(l)).ToArray();

        int Product(int[] labels) => labels.Aggregate(1, (p, l) => p * sizes[l]);
        int bt = Product(batch), l = Product(left), kt = Product(contracted), r = Product(right);
        var lhs = a.Arrange(batch.Concat(left).Concat(contracted).ToArray(), sizes).Reshape(bt, l, kt);
        var rhs = b.Arrange(batch.Concat(contracted).Concat(right).ToArray(), sizes).Reshape(bt, kt, r);
        var labels = batch.Concat(left).Concat(right).ToArray();
        var product = Bmm(lhs, rhs).Reshape(labels.Select(x => sizes[x]).ToArray());
        return LabeledTensor.From(product, labels);
    }

    /// <summary>A tensor whose dims carry einsum labels; a label seen twice in one operand (as in "ii") reads its diagonal.</summary>
    sealed class LabeledTensor
    {
        readonly Tensor _tensor;
        readonly int[] _dimLabels;

        LabeledTensor(Tensor tensor, int[] dimLabels)
        {
            _tensor = tensor;
            _dimLabels = dimLabels;
            Labels = dimLabels.Distinct().ToArray();
        }

        /// <summary>Each label once, in order of first appearance.</summary>
        public int[] Labels { get; }

        public static LabeledTensor From(Tensor t, int[] dimLabels) => new(t, dimLabels);

        /// <summary>
        /// A view with the given label order: a repeated label's stride is the sum of its dims' strides
        /// (the diagonal); a missing or size-1 label broadcasts with stride 0. Recorded for autograd.
        /// </summary>
        public Tensor Arrange(int[] labels, Dictionary<int, int> sizes) =>
            _tensor.ViewOp("EinsumBackward", layout => ArrangeLayout(layout, labels, sizes));

        Layout<int> ArrangeLayout(Layout<int> layout, int[] labels, Dictionary<int, int> sizes)
        {
            var outSizes = new int[labels.Length];
            var outStrides = new int[labels.Length];
            for (int i = 0; i < labels.Length; i++)
            {
                int size = sizes[labels[i]];
                int stride = 0;
                bool present = false;
                for (int d = 0; d < _dimLabels.Length; d++)
                {
                    if (_dimLabels[d] != labels[i] || layout.Sizes[d] != size) continue;
                    stride += layout.Strides[d];
                    present = true;
                }
                outSizes[i] = size;
                outStrides[i] = present ? stride : 0;
            }
            return new Layout<int>(outSizes, outStrides, layout.Offset);
        }
    }
}
