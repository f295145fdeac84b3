using System.Collections.Generic;

namespace ShapeSafe.Shapes
{
    /// <summary>
    /// A parsed einsum equation such as <c>"bij,bjk->bik"</c> or <c>"...ij,...jk"</c>. Labels are numbered:
    /// letters <c>A</c>–<c>Z</c> are 0–25, <c>a</c>–<c>z</c> 26–51 (so the implicit output is in PyTorch's order),
    /// and the dims an ellipsis covers are 52, 53, … aligned from the right.
    /// </summary>
    public sealed class EinsumEquation
    {
        /// <summary>Label ids of the first ellipsis dim; ellipsis dim j of E has id <c>EllipsisBase + j</c>.</summary>
        public const int EllipsisBase = 52;

        EinsumEquation(int[][] operands, bool[] hasEllipsis, int[]? output, bool outputHasEllipsis, string text)
        {
            OperandLabels = operands;
            OperandHasEllipsis = hasEllipsis;
            ExplicitOutput = output;
            OutputHasEllipsis = outputHasEllipsis;
            Text = text;
        }

        /// <summary>Each operand's letter labels in order; an ellipsis is marked by -1 at its position.</summary>
        public int[][] OperandLabels { get; }

        /// <summary>Whether each operand has an ellipsis.</summary>
        public bool[] OperandHasEllipsis { get; }

        /// <summary>The labels after <c>-&gt;</c> (-1 for an ellipsis), or null when the output is implicit.</summary>
        public int[]? ExplicitOutput { get; }

        /// <summary>Whether the explicit output has an ellipsis.</summary>
        public bool OutputHasEllipsis { get; }

        /// <summary>The equation as written.</summary>
        public string Text { get; }

        /// <summary>Parses an equation; throws <see cref="ShapeException"/> on bad syntax.</summary>
        public static EinsumEquation Parse(string equation, int operandCount)
        {
            const string op = "Einsum";
            string text = equation.Replace(" ", "");
            int arrow = text.IndexOf("->", System.StringComparison.Ordinal);
            string lhs = arrow >= 0 ? text.Substring(0, arrow) : text;
            string? rhs = arrow >= 0 ? text.Substring(arrow + 2) : null;
            var terms = lhs.Split(',');
            if (terms.Length != operandCount)
                throw new ShapeException(op, $"equation '{equation}' has {terms.Length} operand subscripts but {operandCount} operands were given");
            var operands = new int[terms.Length][];
            var hasEllipsis = new bool[terms.Length];
            for (int i = 0; i < terms.Length; i++)
                operands[i] = ParseTerm(equation, terms[i], out hasEllipsis[i]);
            int[]? output = null;
            bool outEllipsis = false;
            if (rhs is not null)
            {
                output = ParseTerm(equation, rhs, out outEllipsis);
                var seen = new HashSet<int>();
                foreach (int label in output)
                {
                    if (label < 0) continue;
                    if (!seen.Add(label))
                        throw new ShapeException(op, $"output subscript {LabelChar(label)} appears more than once in '{equation}'");
                    bool found = false;
                    foreach (var o in operands) if (System.Array.IndexOf(o, label) >= 0) found = true;
                    if (!found)
                        throw new ShapeException(op, $"output subscript {LabelChar(label)} in '{equation}' does not appear in any input");
                }
            }
            return new EinsumEquation(operands, hasEllipsis, output, outEllipsis, equation);
        }

        /// <summary>The letter of a label id (or "..." for ellipsis dims).</summary>
        public static string LabelChar(int label) =>
            label < 0 || label >= EllipsisBase ? "..." : label < 26 ? ((char)('A' + label)).ToString() : ((char)('a' + label - 26)).ToString();

        static int[] ParseTerm(string equation, string term, out bool hasEllipsis)
        {
            var labels = new List<int>();
            hasEllipsis = false;
            for (int i = 0; i < term.Length; i++)
            {
                char c = term[i];
                if (c == '.')
                {
                    if (hasEllipsis || i + 2 >= term.Length || term[i + 1] != '.' || term[i + 2] != '.')
                        throw new ShapeException("Einsum", $"invalid ellipsis in '{equation}': use '...' at most once per operand");
                    hasEllipsis = true;
                    labels.Add(-1);
                    i += 2;
                }
                else if (c >= 'A' && c <= 'Z') labels.Add(c - 'A');
                else if (c >= 'a' && c <= 'z') labels.Add(c - 'a' + 26);
                else throw new ShapeException("Einsum", $"invalid subscript '{c}' in '{equation}': subscripts must be letters");
            }
            return labels.ToArray();
        }
    }

    /// <summary>An einsum with every operand dim resolved to a label id and each label's size.</summary>
    public sealed class EinsumPlan<T>
    {
        internal EinsumPlan(int[][] dimLabels, int[] outputLabels, Dictionary<int, T> sizes, T[] outputShape)
        {
            DimLabels = dimLabels;
            OutputLabels = outputLabels;
            LabelSizes = sizes;
            OutputShape = outputShape;
        }

        /// <summary>For each operand, the label id of each of its dims.</summary>
        public int[][] DimLabels { get; }

        /// <summary>The label of each output dim, in order.</summary>
        public int[] OutputLabels { get; }

        /// <summary>The (broadcast) size of each label.</summary>
        public Dictionary<int, T> LabelSizes { get; }

        /// <summary>The result's shape.</summary>
        public T[] OutputShape { get; }
    }

    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// <c>Einsum(equation, operands)</c>: resolves labels against the operand shapes. Sizes of one label must
        /// agree (a size 1 broadcasts); labels missing from the output are summed over.
        /// </summary>
        public static EinsumPlan<T> Einsum(string equation, IReadOnlyList<T[]> shapes, string op = "Einsum")
        {
            var eq = EinsumEquation.Parse(equation, shapes.Count);
            int ellipsisRank = 0;
            var dimLabels = new int[shapes.Count][];
            for (int i = 0; i < shapes.Count; i++)
            {
                int letters = eq.OperandLabels[i].Length - (eq.OperandHasEllipsis[i] ? 1 : 0);
                int rank = shapes[i].Length;
                if (eq.OperandHasEllipsis[i] ? rank < letters : rank != letters)
                    throw new ShapeException(op, $"operand {i} of shape {Format(shapes[i])} has {rank} dims but '{equation}' gives it {letters} subscripts{(eq.OperandHasEllipsis[i] ? " plus an ellipsis" : "")}");
                int covered = rank - letters;
                if (covered > ellipsisRank) ellipsisRank = covered;
            }

            var sizes = new Dictionary<int, T>();
            var counts = new Dictionary<int, int>();
            for (int i = 0; i < shapes.Count; i++)
            {
                var labels = new int[shapes[i].Length];
                int covered = shapes[i].Length - (eq.OperandLabels[i].Length - (eq.OperandHasEllipsis[i] ? 1 : 0));
                int dim = 0;
                foreach (int label in eq.OperandLabels[i])
                {
                    if (label < 0)
                    {
                        for (int j = 0; j < covered; j++)
                            labels[dim++] = EinsumEquation.EllipsisBase + ellipsisRank - covered + j;
                    }
                    else labels[dim++] = label;
                }
                for (int d = 0; d < labels.Length; d++)
                {
                    int label = labels[d];
                    T size = shapes[i][d];
                    counts[label] = counts.TryGetValue(label, out int c) ? c + 1 : 1;
                    if (!sizes.TryGetValue(label, out T? known))
                    {
                        sizes[label] = size;
                        continue;
                    }
                    if (Decide(op, D.Equal(known!, size), "whether subscript sizes match")) continue;
                    if (IsOne(size)) continue;
                    if (IsOne(known!)) { sizes[label] = size; continue; }
                    throw new ShapeException(op,
                        $"subscript {EinsumEquation.LabelChar(label)} has size {D.Format(size)} at dim {d} of operand {i} (shape {Format(shapes[i])}), which does not match size {D.Format(known!)} elsewhere in '{equation}'; shapes {FormatAll(shapes)}");
                }
                dimLabels[i] = labels;
            }

            var output = new List<int>();
            if (eq.ExplicitOutput is null)
            {
                for (int j = 0; j < ellipsisRank; j++) output.Add(EinsumEquation.EllipsisBase + j);
                for (int label = 0; label < EinsumEquation.EllipsisBase; label++)
                    if (counts.TryGetValue(label, out int c) && c == 1) output.Add(label);
            }
            else
            {
                foreach (int label in eq.ExplicitOutput)
                {
                    if (label >= 0) output.Add(label);
                    else for (int j = 0; j < ellipsisRank; j++) output.Add(EinsumEquation.EllipsisBase + j);
                }
                if (!eq.OutputHasEllipsis && ellipsisRank > 0)
                {
                    // PyTorch sums over ellipsis dims that the output leaves out only when none were covered.
                    throw new ShapeException(op, $"'{equation}': the output must contain '...' when an operand's ellipsis covers dims; shapes {FormatAll(shapes)}");
                }
            }

            var outputShape = new T[output.Count];
            for (int i = 0; i < outputShape.Length; i++) outputShape[i] = sizes[output[i]];
            return new EinsumPlan<T>(dimLabels, output.ToArray(), sizes, outputShape);
        }
    }
}
