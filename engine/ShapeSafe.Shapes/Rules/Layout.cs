namespace ShapeSafe.Shapes
{
    /// <summary>
    /// How a tensor reads its storage: sizes, strides (in elements) and the storage offset.
    /// A view op maps one layout to another without touching the data.
    /// </summary>
    public readonly struct Layout<T>
    {
        /// <summary>Creates a layout.</summary>
        public Layout(T[] sizes, T[] strides, T offset)
        {
            Sizes = sizes;
            Strides = strides;
            Offset = offset;
        }

        /// <summary>Size of each dim.</summary>
        public T[] Sizes { get; }

        /// <summary>Elements to step in storage for one step along each dim.</summary>
        public T[] Strides { get; }

        /// <summary>Index in storage of element [0, 0, ...].</summary>
        public T Offset { get; }

        /// <summary>Number of dims.</summary>
        public int Rank => Sizes.Length;
    }
}
