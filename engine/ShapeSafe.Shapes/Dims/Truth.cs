namespace ShapeSafe.Shapes
{
    /// <summary>A three-valued answer: concrete dims always give True or False.</summary>
    public enum Truth : byte
    {
        /// <summary>Provably false.</summary>
        False,
        /// <summary>Provably true.</summary>
        True,
        /// <summary>Depends on sizes that are not known.</summary>
        Unknown,
    }
}
