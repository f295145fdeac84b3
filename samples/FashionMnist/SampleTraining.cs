using ShapeSafe.NN;
using ShapeSafe.Training;

namespace ShapeSafe.Samples.FashionMnist;

/// <summary>The sample's flags as trainer settings: the losses, input normalization, augmentation and outputs.</summary>
internal static class SampleTraining
{
    // Fashion-MNIST's training-set pixel statistics (after scaling to [0, 1]).
    const float Mean = 0.2860f, Std = 0.3530f;

    /// <summary>The training loss: cross-entropy with the flags' label smoothing (validation uses plain cross-entropy).</summary>
    public static Func<Tensor, Tensor, Tensor> Loss(Options o) =>
        (logits, labels) => F.CrossEntropy(logits, labels, labelSmoothing: o.LabelSmoothing);

    public static TrainerOptions Create(Options o, Augmentation? augmentation, Generator? augmentationGenerator) => new()
    {
        Epochs = o.Epochs,
        OutputDirectory = o.OutputDirectory,
        Progress = o.Plain ? ProgressMode.Plain : ProgressMode.Auto,
        TensorBoard = o.TensorBoard,
        ValidationLoss = (logits, labels) => F.CrossEntropy(logits, labels),
        Forward = o.Normalize
            ? (m, x) => ((ITensorModule)m).Forward((x - Mean) / Std)
            : (m, x) => ((ITensorModule)m).Forward(x),
        TrainTransform = augmentation is null ? null : batch => [augmentation.Apply(batch[0]), batch[1]],
        Generators = augmentationGenerator is null ? [] : [augmentationGenerator],
        Replicas = o.Replicas,
        CreateReplica = () => Models.Create(o.Model),
    };
}
