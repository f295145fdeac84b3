namespace ShapeSafe.Generators
{
    /// <summary>The names of the generator's pipeline steps, for the caching tests (<c>WithTrackingName</c>).</summary>
    internal static class TrackingNames
    {
        /// <summary>Every <c>[Module]</c> class parsed into a model (null where the class cannot be generated).</summary>
        public const string ParsedModules = nameof(ParsedModules);

        /// <summary>The models the emitter writes a file for.</summary>
        public const string Modules = nameof(Modules);
    }
}
