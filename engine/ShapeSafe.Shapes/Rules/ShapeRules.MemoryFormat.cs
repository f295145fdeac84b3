namespace ShapeSafe.Shapes
{
    // The strides of PyTorch's memory formats (c10's get_channels_last_strides_2d / _3d).
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// Channels-last strides of a 4-D [N, C, H, W] shape: C is innermost, then W, H and N ([H·W·C, 1, W·C, C]).
        /// As in c10, sizes multiply as they are (a size-0 dim gives 0 strides outside it, unlike contiguous strides).
        /// </summary>
        public static T[] ChannelsLastStrides(T[] shape, string op = "Clone")
        {
            if (shape.Length != 4)
                throw new ShapeException(op, $"required rank 4 tensor to use channels_last format (got {Format(shape)})");
            var strides = new T[4];
            strides[1] = D.Constant(1);
            strides[3] = shape[1];
            strides[2] = D.Multiply(strides[3], shape[3]);
            strides[0] = D.Multiply(strides[2], shape[2]);
            return strides;
        }

        /// <summary>Channels-last strides of a 5-D [N, C, D, H, W] shape: C innermost, then W, H, D and N.</summary>
        public static T[] ChannelsLast3dStrides(T[] shape, string op = "Clone")
        {
            if (shape.Length != 5)
                throw new ShapeException(op, $"required rank 5 tensor to use channels_last_3d format (got {Format(shape)})");
            var strides = new T[5];
            strides[1] = D.Constant(1);
            strides[4] = shape[1];
            strides[3] = D.Multiply(strides[4], shape[4]);
            strides[2] = D.Multiply(strides[3], shape[3]);
            strides[0] = D.Multiply(strides[2], shape[2]);
            return strides;
        }
    }
}
