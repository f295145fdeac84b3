namespace ShapeSafe.EndToEnd.Tests;

/// <summary>samples/CompiledIntoApp published with NativeAOT: no trim or AOT warnings, and the binary classifies.</summary>
[Trait("Category", "EndToEnd")]
public sealed class CompiledIntoAppTests : IDisposable
{
    readonly NativeAotPublish _app = NativeAotPublish.Sample("CompiledIntoApp");

    public void Dispose() => _app.Dispose();

    [Fact]
    public void Publishes_without_warnings_and_the_binary_prints_the_trained_models_predictions()
    {
        // The project makes every trim/AOT warning (ILxxxx) an error, so a warning would already have failed the publish.
        Assert.DoesNotMatch(@"warning IL\d{4}", _app.Log);
        Assert.False(File.Exists(Path.Combine(_app.Directory, "CompiledIntoApp.dll")), "a NativeAOT publish has no managed entry assembly");

        // Run from another folder: the weights and images are found beside the binary.
        var (exitCode, output) = _app.Execute(Path.GetTempPath());
        Assert.Equal(0, exitCode);
        Assert.Equal(
            """
            FashionCnn (20,490 parameters) from model.safetensors
            image 0: Ankle boot (label Ankle boot)
            image 1: Pullover (label Pullover)
            image 2: Trouser (label Trouser)
            image 3: Trouser (label Trouser)
            image 4: Shirt (label Shirt)
            image 5: Trouser (label Trouser)
            image 6: Coat (label Coat)
            image 7: Shirt (label Shirt)
            image 8: Sandal (label Sandal)
            image 9: Sneaker (label Sneaker)
            accuracy: 839/1000 = 83.90 %

            """.ReplaceLineEndings("\n"), output.ReplaceLineEndings("\n"));

        var (_, first) = _app.Execute(null, "--count", "3");
        Assert.Equal(
            """
            FashionCnn (20,490 parameters) from model.safetensors
            image 0: Ankle boot (label Ankle boot)
            image 1: Pullover (label Pullover)
            image 2: Trouser (label Trouser)
            accuracy: 3/3 = 100.00 %

            """.ReplaceLineEndings("\n"), first.ReplaceLineEndings("\n"));
    }
}
