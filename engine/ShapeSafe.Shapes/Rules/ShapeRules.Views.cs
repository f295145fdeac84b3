namespace ShapeSafe.Shapes
{
    // Views: each rule maps a layout to a layout over the same storage, exactly as ATen does.
    public static partial class ShapeRules<T, TDomain>
    {
        const string ViewIncompatible =
            "view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces). Use .Reshape(...) instead.";

        /// <summary>
        /// Resolves a requested shape with at most one <c>-1</c> against the element count (ATen's infer_size).
        /// </summary>
        public static T[] InferSize(string op, T[] inputShape, T[] requested)
        {
            T numel = NumEl(inputShape);
            T known = D.Constant(1);
            bool zero = HasZero(requested);
            int inferred = -1;
            for (int i = 0; i < requested.Length; i++)
            {
                if (D.TryGetConstant(requested[i], out long v) && v < 0)
                {
                    if (v != -1)
                        throw new ShapeException(op, $"invalid shape dimension {v} in {Format(requested)}");
                    if (inferred >= 0)
                        throw new ShapeException(op, $"only one dimension can be inferred, but {Format(requested)} has more than one -1 (input shape {Format(inputShape)})");
                    inferred = i;
                }
                else if (!zero)
                {
                    try
                    {
                        known = D.Multiply(known, requested[i]);
                    }
                    catch (System.OverflowException)
                    {
                        throw new ShapeException(op, $"shape '{Format(requested)}' is invalid for input of shape {Format(inputShape)} ({D.Format(numel)} elements): it has more elements than a tensor can hold");
                    }
                }
            }
            // A size of 0 makes the count 0, however large the other sizes: an empty tensor may have any shape.
            if (zero) known = D.Constant(0);

            var result = (T[])requested.Clone();
            if (inferred < 0)
            {
                if (!Decide(op, D.Equal(numel, known), "whether the element counts match"))
                    throw new ShapeException(op, $"shape '{Format(requested)}' is invalid for input of shape {Format(inputShape)} ({D.Format(numel)} elements)");
                return result;
            }

            if (Decide(op, D.Equal(known, D.Constant(0)), "whether the known sizes are 0"))
                throw new ShapeException(op, $"cannot reshape tensor of shape {Format(inputShape)} into shape {Format(requested)} because the unspecified dimension size -1 can be any value and is ambiguous");
            var exact = D.TryDivideExact(numel, known, out T quotient);
            if (!Decide(op, exact, "whether the element count divides"))
                throw new ShapeException(op, $"shape '{Format(requested)}' is invalid for input of shape {Format(inputShape)} ({D.Format(numel)} elements)");
            result[inferred] = quotient;
            return result;
        }

        /// <summary>
        /// ATen's computeStride: the strides a view of <paramref name="newSizes"/> gets over the given layout, or
        /// null when no view exists. Size-1 dims are ignored; each run of dims that is contiguous in storage
        /// (a "chunk") must be reshaped within itself.
        /// </summary>
        public static T[]? ComputeViewStrides(string op, T[] oldSizes, T[] oldStrides, T[] newSizes)
        {
            var newStrides = new T[newSizes.Length];
            if (oldSizes.Length == 0)
            {
                for (int i = 0; i < newStrides.Length; i++) newStrides[i] = D.Constant(1);
                return newStrides;
            }

            T numel = NumEl(oldSizes);
            if (Decide(op, D.Equal(numel, D.Constant(0)), "whether the tensor is empty"))
            {
                if (SameShape(oldSizes, newSizes)) return (T[])oldStrides.Clone();
                for (int d = newSizes.Length - 1; d >= 0; d--)
                {
                    newStrides[d] = d == newSizes.Length - 1
                        ? D.Constant(1)
                        : D.Multiply(MaxOne(newSizes[d + 1]), newStrides[d + 1]);
                }
                return newStrides;
            }

            int viewD = newSizes.Length - 1;
            T chunkBaseStride = oldStrides[oldStrides.Length - 1];
            T tensorNumel = D.Constant(1);
            T viewNumel = D.Constant(1);
            for (int tensorD = oldSizes.Length - 1; tensorD >= 0; tensorD--)
            {
                tensorNumel = D.Multiply(tensorNumel, oldSizes[tensorD]);
                bool chunkEnds = tensorD == 0
                    || (!Decide(op, D.Equal(oldSizes[tensorD - 1], D.Constant(1)), "whether a size is 1")
                        && !Decide(op, D.Equal(oldStrides[tensorD - 1], D.Multiply(tensorNumel, chunkBaseStride)), "whether strides are contiguous"));
                if (!chunkEnds) continue;

                while (viewD >= 0
                    && (Decide(op, D.Less(viewNumel, tensorNumel), "how sizes compare")
                        || Decide(op, D.Equal(newSizes[viewD], D.Constant(1)), "whether a size is 1")))
                {
                    newStrides[viewD] = D.Multiply(viewNumel, chunkBaseStride);
                    viewNumel = D.Multiply(viewNumel, newSizes[viewD]);
                    viewD--;
                }
                if (!Decide(op, D.Equal(viewNumel, tensorNumel), "whether a chunk's sizes match"))
                    return null;
                if (tensorD > 0)
                {
                    chunkBaseStride = oldStrides[tensorD - 1];
                    tensorNumel = D.Constant(1);
                    viewNumel = D.Constant(1);
                }
            }
            return viewD == -1 ? newStrides : null;
        }

        /// <summary><c>View(shape)</c>: a view with the requested shape, or a ShapeException when the layout cannot express it.</summary>
        public static Layout<T> View(Layout<T> input, T[] requested, string op = "View")
        {
            var sizes = InferSize(op, input.Sizes, requested);
            var strides = ComputeViewStrides(op, input.Sizes, input.Strides, sizes);
            if (strides is null)
                throw new ShapeException(op,
                    $"{ViewIncompatible} Input shape {Format(input.Sizes)} with strides {Format(input.Strides)}, requested {Format(requested)}.");
            return new Layout<T>(sizes, strides, input.Offset);
        }

        /// <summary>
        /// <c>Reshape(shape)</c>: true with the view layout when one exists; false when the data must be copied into
        /// a contiguous tensor of <paramref name="sizes"/>.
        /// </summary>
        public static bool TryReshapeAsView(Layout<T> input, T[] requested, out T[] sizes, out Layout<T> view, string op = "Reshape")
        {
            sizes = InferSize(op, input.Sizes, requested);
            T[]? strides;
            try
            {
                strides = ComputeViewStrides(op, input.Sizes, input.Strides, sizes);
            }
            catch (System.OverflowException)
            {
                strides = null; // the view's strides do not fit (an empty tensor of a huge shape): a copy has contiguous ones
            }
            view = strides is null ? default : new Layout<T>(sizes, strides, input.Offset);
            return strides is not null;
        }

        /// <summary><c>Transpose(dim0, dim1)</c>: swaps two dims' sizes and strides.</summary>
        public static Layout<T> Transpose(Layout<T> input, int dim0, int dim1, string op = "Transpose")
        {
            int rank = input.Rank;
            int a = NormalizeDim(op, dim0, rank, input.Sizes);
            int b = NormalizeDim(op, dim1, rank, input.Sizes);
            var sizes = (T[])input.Sizes.Clone();
            var strides = (T[])input.Strides.Clone();
            if (rank == 0) return new Layout<T>(sizes, strides, input.Offset);
            (sizes[a], sizes[b]) = (sizes[b], sizes[a]);
            (strides[a], strides[b]) = (strides[b], strides[a]);
            return new Layout<T>(sizes, strides, input.Offset);
        }

        /// <summary><c>Permute(dims)</c>: reorders dims; <paramref name="dims"/> must be a permutation of 0..rank-1.</summary>
        public static Layout<T> Permute(Layout<T> input, int[] dims, string op = "Permute")
        {
            int rank = input.Rank;
            if (dims.Length != rank)
                throw new ShapeException(op, $"number of dims don't match: tensor of shape {Format(input.Sizes)} has {rank} dims but dims {Format(dims)} has {dims.Length}");
            var seen = new bool[rank];
            var sizes = new T[rank];
            var strides = new T[rank];
            for (int i = 0; i < rank; i++)
            {
                int d = NormalizeDim(op, dims[i], rank, input.Sizes);
                if (seen[d])
                    throw new ShapeException(op, $"repeated dim {dims[i]} in dims {Format(dims)} for a tensor of shape {Format(input.Sizes)}");
                seen[d] = true;
                sizes[i] = input.Sizes[d];
                strides[i] = input.Strides[d];
            }
            return new Layout<T>(sizes, strides, input.Offset);
        }

        /// <summary><c>Squeeze()</c>: drops every dim of size 1.</summary>
        public static Layout<T> Squeeze(Layout<T> input, string op = "Squeeze")
        {
            int keep = 0;
            for (int i = 0; i < input.Rank; i++)
                if (!Decide(op, D.Equal(input.Sizes[i], D.Constant(1)), "whether a size is 1")) keep++;
            var sizes = new T[keep];
            var strides = new T[keep];
            for (int i = 0, j = 0; i < input.Rank; i++)
            {
                if (IsOne(input.Sizes[i])) continue;
                sizes[j] = input.Sizes[i];
                strides[j++] = input.Strides[i];
            }
            return new Layout<T>(sizes, strides, input.Offset);
        }

        /// <summary><c>Squeeze(dim)</c>: drops the dim when its size is 1, else returns the same layout (as PyTorch).</summary>
        public static Layout<T> Squeeze(Layout<T> input, int dim, string op = "Squeeze")
        {
            if (input.Rank == 0)
            {
                NormalizeDim(op, dim, 0, input.Sizes);
                return input;
            }
            int d = NormalizeDim(op, dim, input.Rank, input.Sizes);
            if (!Decide(op, D.Equal(input.Sizes[d], D.Constant(1)), "whether a size is 1")) return input;
            return new Layout<T>(RemoveAt(input.Sizes, d), RemoveAt(input.Strides, d), input.Offset);
        }

        /// <summary><c>Unsqueeze(dim)</c>: inserts a size-1 dim whose stride is size×stride of the dim after it (1 at the end).</summary>
        public static Layout<T> Unsqueeze(Layout<T> input, int dim, string op = "Unsqueeze")
        {
            int d = NormalizeDim(op, dim, input.Rank, input.Sizes, forInsert: true);
            T stride = d >= input.Rank ? D.Constant(1) : D.Multiply(input.Sizes[d], input.Strides[d]);
            return new Layout<T>(InsertAt(input.Sizes, d, D.Constant(1)), InsertAt(input.Strides, d, stride), input.Offset);
        }

        /// <summary>
        /// <c>Expand(sizes)</c> (and <c>BroadcastTo</c>): size-1 dims grow with stride 0, new leading dims are
        /// added, <c>-1</c> keeps a size (ATen's inferExpandGeometry).
        /// </summary>
        public static Layout<T> Expand(Layout<T> input, T[] sizes, string op = "Expand")
        {
            int ndim = sizes.Length;
            int tensorDim = input.Rank;
            if (ndim < tensorDim)
                throw new ShapeException(op, $"the number of sizes provided ({ndim}) must be greater or equal to the number of dimensions in the tensor ({tensorDim}): {Format(sizes)} for a tensor of shape {Format(input.Sizes)}");
            var outSizes = new T[ndim];
            var outStrides = new T[ndim];
            for (int i = ndim - 1; i >= 0; i--)
            {
                int dim = tensorDim - 1 - (ndim - 1 - i);
                T size = dim >= 0 ? input.Sizes[dim] : D.Constant(1);
                T stride = dim >= 0 ? input.Strides[dim]
                    : i + 1 < ndim ? D.Multiply(outSizes[i + 1], outStrides[i + 1]) : D.Constant(1);
                T target = sizes[i];
                if (IsConst(target, -1))
                {
                    if (dim < 0)
                        throw new ShapeException(op, $"the expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension {i}: {Format(sizes)} for a tensor of shape {Format(input.Sizes)}");
                    target = size;
                }
                else if (D.TryGetConstant(target, out long t) && t < 0)
                {
                    throw new ShapeException(op, $"invalid size {t} at dimension {i} in {Format(sizes)}");
                }
                if (!Decide(op, D.Equal(size, target), "whether sizes match"))
                {
                    if (!Decide(op, D.Equal(size, D.Constant(1)), "whether a size is 1"))
                        throw new ShapeException(op,
                            $"the expanded size of the tensor ({D.Format(target)}) must match the existing size ({D.Format(size)}) at non-singleton dimension {i}. Target sizes: {Format(sizes)}. Tensor sizes: {Format(input.Sizes)}");
                    size = target;
                    stride = D.Constant(0);
                }
                outSizes[i] = size;
                outStrides[i] = stride;
            }
            return new Layout<T>(Fits(op, outSizes, input.Sizes), outStrides, input.Offset);
        }

        /// <summary><c>Slice(dim, start, end, step)</c> with Python's clamping: out-of-range bounds clamp, negative ones count from the end.</summary>
        public static Layout<T> Slice(Layout<T> input, int dim, long start, long end, long step = 1, string op = "Slice")
        {
            int d = NormalizeDim(op, dim, input.Rank, input.Sizes);
            if (input.Rank == 0)
                throw new ShapeException(op, "cannot slice a 0-dim tensor (shape [])");
            if (step <= 0)
                throw new ShapeException(op, $"slice step must be positive, got {step} (dim {dim} of shape {Format(input.Sizes)})");
            if (!D.TryGetConstant(input.Sizes[d], out long size))
                throw new UndecidableShapeException(op, "where a slice of a symbolic dim ends");
            if (start < 0) start += size;
            if (end < 0) end += size;
            if (start < 0) start = 0;
            else if (start >= size) start = size;
            if (end < start) end = start;
            else if (end >= size) end = size;
            long length = (end - start + step - 1) / step;
            var sizes = (T[])input.Sizes.Clone();
            var strides = (T[])input.Strides.Clone();
            sizes[d] = D.Constant(length);
            strides[d] = D.Multiply(input.Strides[d], D.Constant(step));
            return new Layout<T>(sizes, strides, D.Add(input.Offset, D.Multiply(D.Constant(start), input.Strides[d])));
        }

        /// <summary><c>Narrow(dim, start, length)</c>: <paramref name="length"/> elements from <paramref name="start"/> (negative counts from the end).</summary>
        public static Layout<T> Narrow(Layout<T> input, int dim, long start, long length, string op = "Narrow")
        {
            if (input.Rank == 0)
                throw new ShapeException(op, "cannot be applied to a 0-dim tensor (shape [])");
            int d = NormalizeDim(op, dim, input.Rank, input.Sizes);
            if (length < 0)
                throw new ShapeException(op, $"length must be non-negative, got {length} (dim {dim} of shape {Format(input.Sizes)})");
            if (!D.TryGetConstant(input.Sizes[d], out long size))
            {
                // Symbolic size: the view exists whenever start + length fits; keep the layout without clamping.
                var symSizes = (T[])input.Sizes.Clone();
                symSizes[d] = D.Constant(length);
                return new Layout<T>(symSizes, (T[])input.Strides.Clone(), D.Add(input.Offset, D.Multiply(D.Constant(start), input.Strides[d])));
            }
            if (start < -size || start > size)
                throw new ShapeException(op, $"start ({start}) out of range for dimension {dim} of size {size} (shape {Format(input.Sizes)})");
            if (start < 0) start += size;
            if (start > size - length)
                throw new ShapeException(op, $"start ({start}) + length ({length}) exceeds dimension size ({size}) at dim {dim} of shape {Format(input.Sizes)}");
            return Slice(input, d, start, start + length, 1, op);
        }

        /// <summary><c>Select(dim, index)</c>: the slice at one index, without that dim.</summary>
        public static Layout<T> Select(Layout<T> input, int dim, long index, string op = "Select")
        {
            if (input.Rank == 0)
                throw new ShapeException(op, "cannot be applied to a 0-dim tensor (shape [])");
            int d = NormalizeDim(op, dim, input.Rank, input.Sizes);
            if (D.TryGetConstant(input.Sizes[d], out long size))
            {
                if (index < -size || index >= size)
                    throw new ShapeException(op, $"index {index} is out of bounds for dimension {dim} with size {size} (shape {Format(input.Sizes)})");
                if (index < 0) index += size;
            }
            else if (index < 0)
            {
                // Counts from the end of a symbolic size: -1 is always in range (sizes of names are at least 1).
                if (!Decide(op, D.Less(D.Constant(-index - 1), input.Sizes[d]), "whether a negative index is in range"))
                    throw new ShapeException(op, $"index {index} is out of bounds for dimension {dim} with size {D.Format(input.Sizes[d])} (shape {Format(input.Sizes)})");
                T fromEnd = D.Add(input.Offset, D.Multiply(D.Add(input.Sizes[d], D.Constant(index)), input.Strides[d]));
                return new Layout<T>(RemoveAt(input.Sizes, d), RemoveAt(input.Strides, d), fromEnd);
            }
            T offset = D.Add(input.Offset, D.Multiply(D.Constant(index), input.Strides[d]));
            return new Layout<T>(RemoveAt(input.Sizes, d), RemoveAt(input.Strides, d), offset);
        }

        /// <summary>
        /// <c>Unfold(dim, size, step)</c>: every window of <paramref name="size"/> elements, <paramref name="step"/> apart,
        /// as a new last dim.
        /// </summary>
        public static Layout<T> Unfold(Layout<T> input, int dim, int size, int step, string op = "Unfold")
        {
            int d = input.Rank == 0 ? NormalizeDim(op, dim, 0) : NormalizeDim(op, dim, input.Rank, input.Sizes);
            T maxSize = input.Rank == 0 ? D.Constant(1) : input.Sizes[d];
            if (size < 0 || Decide(op, D.Less(maxSize, D.Constant(size)), "whether the window fits"))
                throw new ShapeException(op, $"maximum size for tensor at dimension {d} is {D.Format(maxSize)} but size is {size} (shape {Format(input.Sizes)})");
            if (step <= 0)
                throw new ShapeException(op, $"step is {step} but must be > 0 (shape {Format(input.Sizes)})");
            var sizes = InsertAt(input.Sizes, input.Rank, D.Constant(size));
            var strides = InsertAt(input.Strides, input.Rank, input.Rank == 0 ? D.Constant(1) : input.Strides[d]);
            if (input.Rank > 0)
            {
                sizes[d] = D.Add(D.FloorDivide(D.Subtract(input.Sizes[d], D.Constant(size)), D.Constant(step)), D.Constant(1));
                strides[d] = D.Multiply(input.Strides[d], D.Constant(step));
            }
            return new Layout<T>(Fits(op, sizes, input.Sizes), strides, input.Offset);
        }

        /// <summary>The contiguous layout of a shape at offset 0: what a fresh or copied tensor gets.</summary>
        public static Layout<T> Contiguous(T[] sizes) => new Layout<T>(sizes, ContiguousStrides(sizes), D.Constant(0));

        static bool IsOne(T size) => D.Equal(size, D.Constant(1)) == Truth.True;

        static bool SameShape(T[] a, T[] b)
        {
            if (a.Length != b.Length) return false;
            for (int i = 0; i < a.Length; i++)
                if (D.Equal(a[i], b[i]) != Truth.True) return false;
            return true;
        }

        internal static T[] RemoveAt(T[] values, int index)
        {
            var result = new T[values.Length - 1];
            for (int i = 0, j = 0; i < values.Length; i++)
                if (i != index) result[j++] = values[i];
            return result;
        }

        internal static T[] InsertAt(T[] values, int index, T value)
        {
            var result = new T[values.Length + 1];
            for (int i = 0, j = 0; i < result.Length; i++)
                result[i] = i == index ? value : values[j++];
            return result;
        }
    }
}
