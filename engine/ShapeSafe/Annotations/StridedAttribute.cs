namespace ShapeSafe;

/// <summary>
/// On a <see cref="ShapeAttribute"/>-annotated tensor parameter: the argument may arrive as a strided view (a
/// transpose, a permute, a slice), not only as the contiguous tensors that <c>DataLoader</c>, layers and factories
/// produce. The analyzers take annotated parameters to be contiguous unless they carry this attribute, so
/// <c>x.Transpose(1, 2).View(...)</c> on them is checked (SS0001); on a <c>[Strided]</c> parameter the layout is
/// unknown and only views that work for every layout are accepted silently. Nothing happens at run time.
/// </summary>
/// <example><code>
/// Tensor Merge([Shape("B, H, T, D"), Strided] Tensor heads) => heads.Transpose(1, 2).Reshape(heads.Size(0), heads.Size(2), -1);
/// </code></example>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = true)]
public sealed class StridedAttribute : Attribute
{
}
