namespace ShapeSafe.NN;

public static partial class Utils
{
    /// <summary>
    /// Packing and padding of variable-length sequences (PyTorch's <c>torch.nn.utils.rnn</c>), for the recurrent layers'
    /// <see cref="PackedSequence"/> inputs. Every function is composed of differentiable ops (narrowing, concatenation,
    /// stacking and index selection), so gradients flow from packed data back to the padded input and the other way.
    /// </summary>
    public static class Rnn
    {
        /// <summary>
        /// Packs a padded batch (PyTorch's <c>pack_padded_sequence</c>): <paramref name="input"/> [T, N, *]
        /// ([N, T, *] when batch-first) with the true <paramref name="lengths"/> of its N sequences.
        /// </summary>
        /// <param name="input">The padded sequences, at least 2-D.</param>
        /// <param name="lengths">The length of each sequence: a 1-D tensor of N integers (converted to Int64 as PyTorch's <c>as_tensor</c> does).</param>
        /// <param name="batchFirst">Whether <paramref name="input"/> is [N, T, *].</param>
        /// <param name="enforceSorted">
        /// When true the lengths must be non-increasing and the result carries no indices; when false the batch is
        /// sorted longest first (the indices are kept in the result, so the layers and
        /// <see cref="PadPackedSequence"/> give results back in the original order).
        /// </param>
        /// <returns>The packed batch; its data is [Σ lengths, *].</returns>
        /// <exception cref="ShapeException">
        /// The input is empty or below 2-D, the lengths are not N, a length is not positive, exceeds T, or (with
        /// <paramref name="enforceSorted"/>) the lengths are not sorted in decreasing order.
        /// </exception>
        public static PackedSequence PackPaddedSequence(Tensor input, Tensor lengths, bool batchFirst = false, bool enforceSorted = true)
        {
            const string op = "PackPaddedSequence";
            ArgumentNullException.ThrowIfNull(input);
            ArgumentNullException.ThrowIfNull(lengths);
            if (lengths.Rank != 1)
                throw new ShapeException(op, $"'lengths' argument should be a 1D CPU int64 tensor, but got {lengths.Rank}D {lengths.DType} tensor {Rules.Format(lengths.Sizes)}");
            if (lengths.DType != DType.Int64) lengths = lengths.ToDType(DType.Int64);
            if (input.Rank < 2)
                throw new ShapeException(op, $"expected an input of at least 2 dims ([T, N, *] or [N, T, *] batch-first), got {Rules.Format(input.Sizes)}");
            if (input.NumEl == 0)
                throw new ShapeException(op, $"Cannot pack empty tensors. (input {Rules.Format(input.Sizes)})");

            Tensor? sortedIndices = null;
            if (!enforceSorted)
            {
                int batchDim = batchFirst ? 0 : 1;
                if (lengths.Sizes[0] != input.Sizes[batchDim])
                    throw new ShapeException(op, $"Expected `len(lengths)` to be equal to batch_size, but got {lengths.Sizes[0]} (batch_size={input.Sizes[batchDim]})");
                (lengths, sortedIndices) = lengths.Sort(0, descending: true);
                input = input.IndexSelect(batchDim, sortedIndices);
            }

            var x = batchFirst ? input.Transpose(0, 1) : input;
            int steps = x.Sizes[0], batch = x.Sizes[1];
            var l = lengths.ToInt64Array();
            if (l.Length != batch)
                throw new ShapeException(op, $"Expected `len(lengths)` to be equal to batch_size, but got {l.Length} (batch_size={batch})");
            if (l[batch - 1] <= 0)
                throw new ShapeException(op, $"Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0 (lengths {FormatLongs(lengths.ToInt64Array())})");
            for (int i = 0; i < batch - 1; i++)
                if (l[i + 1] > l[i])
                    throw new ShapeException(op, "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability. " +
                        $"(lengths {FormatLongs(l)})");
            if (l[0] > steps)
                throw new ShapeException(op, $"a sequence of length {l[0]} does not fit in the padded input of {steps} steps (input {Rules.Format(input.Sizes)}, lengths {FormatLongs(l)}{(batchFirst ? ", batch-first" : "")})");

            // Scanning from the shortest sequence, each rise of the length adds a block of steps that the
            // sequences from the first up to this one all have: block [prev, length) × [0, count), row-major.
            var stepShape = new int[x.Rank - 1];
            stepShape[0] = -1;
            for (int d = 2; d < x.Rank; d++) stepShape[d - 1] = x.Sizes[d];
            var blocks = new List<Tensor>();
            var batchSizes = new long[l[0]];
            int previous = 0;
            for (int i = 0; i < batch; i++)
            {
                int length = (int)l[batch - 1 - i];
                if (length <= previous) continue;
                int count = batch - i;
                blocks.Add(x.Narrow(0, previous, length - previous).Narrow(1, 0, count).Reshape(stepShape));
                for (int t = previous; t < length; t++) batchSizes[t] = count;
                previous = length;
            }
            var data = blocks.Count == 1 ? blocks[0] : Tensor.Cat(blocks, 0);
            return new PackedSequence(data, Tensor.FromArray(batchSizes, batchSizes.Length), sortedIndices);
        }

        /// <summary>
        /// <see cref="PackPaddedSequence(Tensor, Tensor, bool, bool)"/> with the lengths given as integers.
        /// </summary>
        /// <param name="input">The padded sequences, at least 2-D.</param>
        /// <param name="lengths">The length of each sequence.</param>
        /// <param name="batchFirst">Whether <paramref name="input"/> is [N, T, *].</param>
        /// <param name="enforceSorted">Whether the lengths must already be non-increasing.</param>
        /// <returns>The packed batch.</returns>
        public static PackedSequence PackPaddedSequence(Tensor input, long[] lengths, bool batchFirst = false, bool enforceSorted = true)
        {
            ArgumentNullException.ThrowIfNull(lengths);
            return PackPaddedSequence(input, Tensor.FromArray(lengths, lengths.Length), batchFirst, enforceSorted);
        }

        /// <summary>
        /// Pads a packed batch back to [T, N, *] ([N, T, *] when batch-first), the inverse of
        /// <see cref="PackPaddedSequence(Tensor, Tensor, bool, bool)"/> (PyTorch's <c>pad_packed_sequence</c>). The
        /// sequences come back in the order they were packed in; steps past a sequence's end hold
        /// <paramref name="paddingValue"/>.
        /// </summary>
        /// <param name="sequence">The packed batch.</param>
        /// <param name="batchFirst">Whether to return [N, T, *] (a transposed view, as PyTorch's).</param>
        /// <param name="paddingValue">The value of the padded steps.</param>
        /// <param name="totalLength">Pads to this many steps rather than to the longest sequence's length.</param>
        /// <returns><c>Padded</c>: the padded batch; <c>Lengths</c>: each sequence's length (Int64 [N]).</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="totalLength"/> is shorter than the longest sequence.</exception>
        public static (Tensor Padded, Tensor Lengths) PadPackedSequence(PackedSequence sequence, bool batchFirst = false, double paddingValue = 0, int? totalLength = null)
        {
            const string op = "PadPackedSequence";
            ArgumentNullException.ThrowIfNull(sequence);
            var batchSizes = sequence.BatchSizeArray;
            int longest = batchSizes.Length, steps = longest;
            if (totalLength is { } total)
            {
                if (total < longest)
                    throw new ArgumentOutOfRangeException(nameof(totalLength), total, $"{op}: Expected total_length to be at least the length of the longest sequence in input, but got total_length={total} and max sequence length being {longest}");
                steps = total;
            }
            var data = sequence.Data;
            int batch = batchSizes[0];
            var trailing = data.Sizes.AsSpan(1).ToArray();
            int[] Shape(int a, int b) => [a, b, .. trailing];

            // Runs of steps with the same batch size are one block of data, [run, size, *], padded to N.
            var blocks = new List<Tensor>();
            int offset = 0;
            for (int start = 0; start < longest;)
            {
                int size = batchSizes[start], end = start;
                while (end < longest && batchSizes[end] == size) end++;
                int run = end - start;
                var block = data.Narrow(0, offset, run * size).Reshape(Shape(run, size));
                if (size < batch)
                    block = Tensor.Cat(new[] { block, Tensor.Full(Shape(run, batch - size), paddingValue, data.DType) }, 1);
                blocks.Add(block);
                offset += run * size;
                start = end;
            }
            if (steps > longest)
                blocks.Add(Tensor.Full(Shape(steps - longest, batch), paddingValue, data.DType));
            var padded = blocks.Count == 1 ? blocks[0] : Tensor.Cat(blocks, 0);

            var lengths = new long[batch];
            foreach (int size in batchSizes)
                for (int b = 0; b < size; b++) lengths[b]++;
            var lengthTensor = Tensor.FromArray(lengths, batch);

            if (batchFirst) padded = padded.Transpose(0, 1);
            if (sequence.UnsortedIndices is { } unsorted)
            {
                padded = padded.IndexSelect(batchFirst ? 0 : 1, unsorted);
                lengthTensor = lengthTensor.IndexSelect(0, unsorted);
            }
            return (padded, lengthTensor);
        }

        /// <summary>
        /// Stacks sequences of different lengths into one padded tensor (PyTorch's <c>pad_sequence</c>): each [Lᵢ, *]
        /// sequence becomes column i of [max L, N, *] ([N, max L, *] when batch-first), padded with
        /// <paramref name="paddingValue"/> on the right (or on the left).
        /// </summary>
        /// <param name="sequences">The sequences, each at least 1-D, with the same trailing dims and dtype.</param>
        /// <param name="batchFirst">Whether to return [N, max L, *].</param>
        /// <param name="paddingValue">The value of the padded steps.</param>
        /// <param name="paddingSide"><c>"right"</c> (the default) or <c>"left"</c>: where the padding goes.</param>
        /// <returns>The padded batch.</returns>
        /// <exception cref="ArgumentException">The list is empty, or the padding side is neither.</exception>
        /// <exception cref="ShapeException">A sequence is 0-D or its trailing dims or dtype differ from the first's.</exception>
        public static Tensor PadSequence(IReadOnlyList<Tensor> sequences, bool batchFirst = false, double paddingValue = 0, string paddingSide = "right")
        {
            const string op = "PadSequence";
            ArgumentNullException.ThrowIfNull(sequences);
            if (sequences.Count == 0)
                throw new ArgumentException($"{op}: received an empty list of sequences", nameof(sequences));
            if (paddingSide is not ("left" or "right"))
                throw new ArgumentException($"{op}: Expected padding_side to be one of left or right, but got {paddingSide}.", nameof(paddingSide));
            var first = sequences[0] ?? throw new ArgumentNullException(nameof(sequences));
            if (first.Rank == 0)
                throw new ShapeException(op, "sequence 0 is a 0-dim tensor; each sequence must be at least 1-D ([L, *])");
            int longest = 0;
            for (int i = 0; i < sequences.Count; i++)
            {
                var s = sequences[i] ?? throw new ArgumentNullException(nameof(sequences));
                if (s.Rank != first.Rank || !s.Sizes.AsSpan(1).SequenceEqual(first.Sizes.AsSpan(1)) || s.DType != first.DType)
                    throw new ShapeException(op, $"sequence {i} {s.DType} {Rules.Format(s.Sizes)} should have the trailing dims and dtype of sequence 0 {first.DType} {Rules.Format(first.Sizes)}");
                longest = Math.Max(longest, s.Sizes[0]);
            }
            var columns = new Tensor[sequences.Count];
            for (int i = 0; i < columns.Length; i++)
            {
                var s = sequences[i];
                int missing = longest - s.Sizes[0];
                if (missing == 0)
                {
                    columns[i] = s;
                    continue;
                }
                var shape = (int[])s.Sizes.Clone();
                shape[0] = missing;
                var pad = Tensor.Full(shape, paddingValue, s.DType);
                columns[i] = Tensor.Cat(paddingSide == "left" ? new[] { pad, s } : new[] { s, pad }, 0);
            }
            return Tensor.Stack(columns, batchFirst ? 0 : 1);
        }

        /// <summary>
        /// Packs a list of sequences of different lengths (PyTorch's <c>pack_sequence</c>): <see cref="PadSequence"/>
        /// then <see cref="PackPaddedSequence(Tensor, Tensor, bool, bool)"/> with their lengths.
        /// </summary>
        /// <param name="sequences">The sequences, each [Lᵢ, *]; with <paramref name="enforceSorted"/>, longest first.</param>
        /// <param name="enforceSorted">Whether the sequences must already be sorted by decreasing length.</param>
        /// <returns>The packed batch.</returns>
        public static PackedSequence PackSequence(IReadOnlyList<Tensor> sequences, bool enforceSorted = true)
        {
            var padded = PadSequence(sequences);
            var lengths = sequences.Select(s => (long)s.Sizes[0]).ToArray();
            return PackPaddedSequence(padded, lengths, enforceSorted: enforceSorted);
        }

        static string FormatLongs(long[] values) => "[" + string.Join(", ", values) + "]";
    }
}
