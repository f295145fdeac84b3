namespace ShapeSafe.Serialization;

/// <summary>
/// A checkpoint file could not be read or did not fit the module it was loaded into. The message names the file
/// and the problem; whatever was being loaded into was left unchanged.
/// </summary>
/// <remarks>
/// An <see cref="IOException"/> (<see cref="InvalidDataException"/>, the other natural base, is sealed), so one
/// <c>catch (IOException)</c> covers a missing file, a failing disk and a bad checkpoint.
/// </remarks>
public sealed class CheckpointException : IOException
{
    /// <summary>Creates the error for the file at <paramref name="path"/>.</summary>
    public CheckpointException(string path, string problem, Exception? innerException = null)
        : base($"Checkpoint '{path}': {problem}", innerException)
    {
        Path = path;
        Problem = problem;
    }

    /// <summary>The file's path, as given.</summary>
    public string Path { get; }

    /// <summary>What is wrong, without the file name.</summary>
    public string Problem { get; }
}
