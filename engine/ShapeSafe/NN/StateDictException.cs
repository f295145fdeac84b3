using System.Text;

namespace ShapeSafe.NN;

/// <summary>
/// <see cref="Module.LoadStateDict"/> refused a state dict: keys were missing or unexpected (strict loading) or
/// shapes did not match. The message lists every problem, in PyTorch's words; the module was not changed.
/// </summary>
public sealed class StateDictException : ArgumentException
{
    /// <summary>Creates the error for a module of class <paramref name="moduleName"/>.</summary>
    public StateDictException(string moduleName, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys, IReadOnlyList<string> sizeMismatches)
        : base(Describe(moduleName, missingKeys, unexpectedKeys, sizeMismatches))
    {
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        SizeMismatches = sizeMismatches;
    }

    /// <summary>Keys the module has but the state dict lacks (reported when loading strictly).</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>Keys the state dict has but the module lacks (reported when loading strictly).</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>One message per key whose shape (or value) does not fit, each naming the key and both shapes.</summary>
    public IReadOnlyList<string> SizeMismatches { get; }

    static string Describe(string moduleName, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<string> mismatches)
    {
        var sb = new StringBuilder($"Error(s) in loading state_dict for {moduleName}:");
        if (missing.Count > 0)
            sb.Append("\n\tMissing key(s) in state_dict: ").AppendJoin(", ", missing.Select(k => "\"" + k + "\"")).Append('.');
        if (unexpected.Count > 0)
            sb.Append("\n\tUnexpected key(s) in state_dict: ").AppendJoin(", ", unexpected.Select(k => "\"" + k + "\"")).Append('.');
        foreach (var m in mismatches)
            sb.Append("\n\t").Append(m);
        return sb.ToString();
    }
}
