using System.Globalization;
using System.Text.Json;

namespace ShapeSafe.Optim;

/// <summary>
/// Reads and writes hyperparameters in an optimizer state dict's <c>param_groups</c> JSON. Doubles are written in
/// their shortest round-trip form, so a loaded value is bit-identical to the saved one; JSON has no NaN or
/// infinity, so those are written as the strings Python's <c>json</c> module would print (<c>"NaN"</c>,
/// <c>"Infinity"</c>, <c>"-Infinity"</c>).
/// </summary>
internal static class ParamGroupJson
{
    public static void WriteNumber(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value)) json.WriteNumber(name, value);
        else json.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }

    public static void WriteNumberValue(Utf8JsonWriter json, double value)
    {
        if (double.IsFinite(value)) json.WriteNumberValue(value);
        else json.WriteStringValue(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
    }

    public static double ReadNumber(JsonElement obj, string name, string where, List<string> errors)
    {
        if (!obj.TryGetProperty(name, out var value))
        {
            errors.Add($"{where} has no '{name}'.");
            return double.NaN;
        }
        if (TryNumber(value, out var number)) return number;
        errors.Add($"{where}: '{name}' is not a number ({value.GetRawText()}).");
        return double.NaN;
    }

    public static bool TryNumber(JsonElement value, out double number)
    {
        number = double.NaN;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                return value.TryGetDouble(out number);
            case JsonValueKind.String:
                switch (value.GetString())
                {
                    case "NaN": number = double.NaN; return true;
                    case "Infinity": number = double.PositiveInfinity; return true;
                    case "-Infinity": number = double.NegativeInfinity; return true;
                    default: return false;
                }
            default:
                return false;
        }
    }

    /// <summary>A boolean option; when absent, <paramref name="absent"/> (PyTorch's <c>__setstate__</c> defaults).</summary>
    public static bool ReadBool(JsonElement obj, string name, bool absent, string where, List<string> errors)
    {
        if (!obj.TryGetProperty(name, out var value)) return absent;
        if (value.ValueKind is JsonValueKind.True or JsonValueKind.False) return value.GetBoolean();
        errors.Add($"{where}: '{name}' is not a boolean ({value.GetRawText()}).");
        return absent;
    }

    /// <summary>A JSON array of numbers, or null (with an error) when it is not one.</summary>
    public static double[]? ReadNumbers(JsonElement value, string what, List<string> errors)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add($"{what} is not an array ({value.GetRawText()}).");
            return null;
        }
        var result = new double[value.GetArrayLength()];
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            if (!TryNumber(item, out result[i]))
            {
                errors.Add($"{what}[{i}] is not a number ({item.GetRawText()}).");
                return null;
            }
            i++;
        }
        return result;
    }

    public static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
