namespace ShapeSafe.NN;

// Functional forms that work on class indices.
public static partial class F
{
    /// <summary>
    /// One-hot encoding (<c>F.one_hot</c>): an Int64 tensor of the input's shape plus a last dim of
    /// <paramref name="numClasses"/>, 1 at each input value and 0 elsewhere. With -1 (the default) the class count is
    /// the largest value plus 1.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not Int64, a value is negative or not below the class count.</exception>
    /// <exception cref="ShapeException">The class count is not positive.</exception>
    [ShapeContract("OneHot")]
    public static Tensor OneHot(Tensor input, int numClasses = -1)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.DType != DType.Int64)
            throw new ArgumentException($"OneHot: one_hot is only applicable to index tensor of type Int64, got {input.DType} (shape {Rules.Format(input.Sizes)})", nameof(input));
        var values = input.ToInt64Array();
        if (numClasses == -1)
        {
            if (values.Length == 0)
                throw new ArgumentException($"OneHot: Can not infer total number of classes from empty tensor (shape {Rules.Format(input.Sizes)})", nameof(numClasses));
            numClasses = checked((int)(values.Max() + 1));
        }
        var shape = Rules.OneHot(input.Sizes, numClasses);
        var result = Tensor.Zeros(shape, DType.Int64);
        var data = result.LongData;
        for (int i = 0; i < values.Length; i++)
        {
            long v = values[i];
            if (v < 0)
                throw new ArgumentException($"OneHot: Class values must be non-negative, got {v} (input shape {Rules.Format(input.Sizes)})", nameof(input));
            if (v >= numClasses)
                throw new ArgumentException($"OneHot: Class values must be smaller than num_classes ({numClasses}), got {v} (input shape {Rules.Format(input.Sizes)})", nameof(input));
            data[(long)i * numClasses + v] = 1;
        }
        return result;
    }
}
