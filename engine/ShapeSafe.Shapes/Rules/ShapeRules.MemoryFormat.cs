namespace ShapeSafe.Shapes
{
    // The strides of PyTorch's memory formats (c10's get_channels_last_strides_2d / _3d).
    public static partial class ShapeRules<T, TDomain>
    {
        /// <summary>
        /// Channels-last strides of a 4-D [N, C, H, W] shape: C is innermost, then W, H and N ([H·W·C, 1, W·C, C]).
        /// As in c10, sizes multiply as they are (a size-0 dim gives 0 strides outside it, unlike contiguous strides).
        /// </summary>
        public static T[] ChannelsLastStrides(T[] shape, string op = "Clone") => ChannelsLast(shape, 4, "channels_last", op);

        /// <summary>Channels-last strides of a 5-D [N, C, D, H, W] shape: C innermost, then W, H, D and N.</summary>
        public static T[] ChannelsLast3dStrides(T[] shape, string op = "Clone") => ChannelsLast(shape, 5, "channels_last_3d", op);

        static T[] ChannelsLast(T[] shape, int rank, string format, string op)
        {
            if (shape.Length != rank)
                throw new ShapeException(op, $"required rank {rank} tensor to use {format} format (got {Format(shape)})");
            var strides = new T[rank];
            strides[1] = D.Constant(1);
            T step = shape[1];
            for (int d = rank - 1; d >= 2; d--)
            {
                strides[d] = step;
                step = D.Multiply(step, shape[d]);
            }
            strides[0] = step;
            return strides;
        }
    }
}
