namespace ShapeSafe.Generators.Model
{
    /// <summary>
    /// The symbolic shapes of a captured graph, worked out at build time by the shape core's rules from the
    /// <c>[Shape]</c> annotations of <c>Forward</c>'s parameters and the layers' constructor arguments. Shapes are
    /// text as the analyzer prints them (<c>[B, 128]</c>); a shape the rules could not work out all the way starts with
    /// <c>...</c> (<c>[..., 128]</c>, or <c>[...]</c> when nothing is known).
    /// </summary>
    /// <param name="Values">Each node's value, by node index.</param>
    /// <param name="Gradients">The gradient the backward hands each node's value, by node index (empty where no gradient reaches it).</param>
    /// <param name="Parameters">The gradients of the layers' parameters, in order of first use.</param>
    internal sealed record GraphShapes(EquatableArray<string> Values, EquatableArray<string> Gradients, EquatableArray<ParameterShape> Parameters);

    /// <summary>A layer parameter's shape and the shape of the gradient the backward computes for it.</summary>
    /// <param name="Path">The parameter's registry path (<c>block.fc.weight</c>).</param>
    /// <param name="Node">The node whose backward computes the gradient.</param>
    /// <param name="Shape">The parameter's shape, from the layer's constructor arguments.</param>
    /// <param name="Gradient">The gradient's shape, from the backward's rule.</param>
    internal sealed record ParameterShape(string Path, int Node, string Shape, string Gradient);
}
